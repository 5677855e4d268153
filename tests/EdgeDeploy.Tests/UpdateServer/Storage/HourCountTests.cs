using EdgeDeploy.UpdateServer.Storage;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

public sealed class HourCountTests
{
    private const long Hour = 3_600_000;

    [Theory]
    [InlineData(0, null)]          // no cap
    [InlineData(6, null)]          // everything fits exactly
    [InlineData(5, 1 * Hour)]      // all but hour 0 fit: rows before hour 1 go
    [InlineData(3, 2 * Hour)]      // hours 5 and 3 (1 each) fit; hour 1 (3 more) does not: rows before hour 2 go
    [InlineData(1, 4 * Hour)]      // only the newest hour fits: rows before hour 4 go
    [InlineData(-1, null)]         // never called with a negative cap (validated), but no cap either
    public void SizeCutoff_HoursNewestFirst_KeepsAtMostTheCapInWholeHours(long max, long? expected)
    {
        HourCount[] hours = [new(1 * Hour, 3), new(5 * Hour, 1), new(0, 1), new(3 * Hour, 1)];

        Assert.Equal(expected, HourCount.SizeCutoff(hours, max));
    }
}

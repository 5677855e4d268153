using System.Diagnostics;
using System.Globalization;

namespace EdgeDeploy.Cli.Commands;

/// <summary>
/// One self-overwriting progress line on stderr for long work (uploads, benchmarks), shown only when stderr is a
/// terminal: scripts, pipes and tests see nothing. At most ten updates a second; the line is cleared when done.
/// </summary>
internal sealed class TerminalProgress(string what) : IDisposable
{
    private static readonly bool Enabled = !Console.IsErrorRedirected;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastMs = -1000;
    private int _width;

    /// <summary>Shows "<c>what: done of total unit (percent)</c>".</summary>
    public void Report(long done, long total, string unit)
    {
        if (!Enabled || (_clock.ElapsedMilliseconds - _lastMs < 100 && done < total))
        {
            return;
        }

        _lastMs = _clock.ElapsedMilliseconds;
        var line = string.Create(CultureInfo.InvariantCulture, $"{what}: {done:N0} of {total:N0} {unit} ({(total == 0 ? 100 : done * 100 / total)}%, {_clock.Elapsed.TotalSeconds:F0} s)");
        Console.Error.Write("\r" + line.PadRight(_width));
        _width = line.Length;
    }

    /// <summary>Shows a line of free text (a step of the work).</summary>
    public void Report(string step)
    {
        if (!Enabled)
        {
            return;
        }

        var line = $"{what}: {step}";
        Console.Error.Write("\r" + line.PadRight(_width));
        _width = line.Length;
    }

    /// <summary>Clears the line (the work is done; the next piece of work may start a new one).</summary>
    public void Clear()
    {
        if (Enabled && _width > 0)
        {
            Console.Error.Write("\r" + new string(' ', _width) + "\r");
            _width = 0;
        }
    }

    public void Dispose() => Clear();
}

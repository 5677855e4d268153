namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A position in a store's export order (opaque to callers: SQLite uses the row id, PostgreSQL the chunk and element).</summary>
/// <param name="Major">First key.</param>
/// <param name="Minor">Second key.</param>
public readonly record struct ExportCursor(long Major, long Minor)
{
    /// <summary>Before the first row.</summary>
    public static ExportCursor Start => new(-1, -1);
}

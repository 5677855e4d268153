using System.Text.Encodings.Web;
using System.Text.Json;

namespace EdgeDeploy.Cli.Commands;

internal static class JsonOutput
{
    // Relaxed escaping keeps quotes in error messages readable; the output is never embedded in HTML.
    public static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonWriterOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };
}

using Google.Protobuf;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>Reads the opset imports from ONNX ModelProto bytes (ONNX Runtime's C# API does not expose them).</summary>
internal static class OnnxModelInfo
{
    private const int OpsetImportField = 8;   // ModelProto.opset_import
    private const int DomainField = 1;        // OperatorSetIdProto.domain
    private const int VersionField = 2;       // OperatorSetIdProto.version

    /// <summary>The default-domain ("" or "ai.onnx") opset version, or 0 when the model declares none.</summary>
    public static int ReadDefaultOpset(byte[] model)
    {
        try
        {
            var input = new CodedInputStream(model);
            long opset = 0;
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) == OpsetImportField && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                {
                    var (domain, version) = ReadOpset(input.ReadBytes());
                    if (domain is "" or "ai.onnx")
                    {
                        opset = Math.Max(opset, version);
                    }
                }
                else
                {
                    input.SkipLastField();
                }
            }

            return (int)Math.Clamp(opset, 0, int.MaxValue);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new EdgeException(EdgeErrorCode.InvalidModel, $"The model is not a valid ONNX protobuf: {ex.Message}", ex);
        }
    }

    private static (string Domain, long Version) ReadOpset(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        string domain = string.Empty;
        long version = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case DomainField: domain = input.ReadString(); break;
                case VersionField: version = input.ReadInt64(); break;
                default: input.SkipLastField(); break;
            }
        }

        return (domain, version);
    }
}

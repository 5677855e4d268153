#if EDGE_AOT_CANARY
namespace EdgeDeploy.AotSmoke;

/// <summary>Deliberately AOT-unsafe: proves a trim warning in our own code fails the publish.</summary>
internal static class Canary
{
    public static int CountMethods(string typeName) => Type.GetType(typeName)?.GetMethods().Length ?? 0;
}
#endif

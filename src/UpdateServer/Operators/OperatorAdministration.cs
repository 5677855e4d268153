using EdgeDeploy.UpdateServer.Api;

namespace EdgeDeploy.UpdateServer.Operators;

/// <summary>Named operator credentials an admin issues and revokes; tokens are returned once and stored only hashed.</summary>
internal sealed class OperatorAdministration(IUpdateStore store, TimeProvider time)
{
    /// <exception cref="RejectedException">A bad name or role, or the name is taken (revoked names are not reused).</exception>
    public async Task<(OperatorRecord Record, string Token)> CreateAsync(string name, string role, OperatorIdentity by, CancellationToken cancellationToken)
    {
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
        {
            throw RejectedException.Invalid("An operator name is 1 to 64 characters: letters, digits and . _ - @.");
        }

        if (name == OperatorIdentity.SharedTokenName)
        {
            throw RejectedException.Invalid($"'{OperatorIdentity.SharedTokenName}' names the shared EdgeDeploy:OperatorToken; choose another name.");
        }

        if (OperatorRoles.Parse(role) is null)
        {
            throw RejectedException.Invalid($"Unknown role '{role}'; use viewer, deployer or admin.");
        }

        var token = "op_" + Auth.NewDeviceToken();
        var record = new OperatorRecord(name, role, Auth.HashToken(token), by.Name, time.GetUtcNow().ToUnixTimeMilliseconds(), null);
        if (!await store.TryAddOperatorAsync(record, cancellationToken).ConfigureAwait(false))
        {
            throw new RejectedException(Rejection.AlreadyExists, $"Operator '{name}' exists (or existed: names of revoked operators are not reused).");
        }

        return (record, token);
    }

    public Task<IReadOnlyList<OperatorRecord>> ListAsync(CancellationToken cancellationToken) => store.ListOperatorsAsync(cancellationToken);

    /// <exception cref="RejectedException">No such valid operator.</exception>
    public async Task<OperatorRecord> RevokeAsync(string name, CancellationToken cancellationToken)
    {
        if (!await store.RevokeOperatorAsync(name, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false))
        {
            throw RejectedException.NotFound($"No valid operator '{name}' (unknown, or revoked already).");
        }

        return (await store.ListOperatorsAsync(cancellationToken).ConfigureAwait(false)).Single(o => o.Name == name);
    }
}

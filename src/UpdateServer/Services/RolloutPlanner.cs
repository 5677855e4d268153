using System.Security.Cryptography;
using System.Text;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.UpdateServer.Storage;

namespace EdgeDeploy.UpdateServer.Services;

/// <summary>
/// Decides which version each device runs. Per model, the newest active rollout whose targeting matches the device wins;
/// a canary selects exactly ceil(percent × targeted devices) of them, the ones with the lowest hash of
/// (rollout id, device id), so membership is deterministic and stable as long as the targeted fleet is. Devices outside a
/// canary keep the model's previous completed version.
/// </summary>
internal sealed class RolloutPlanner(IUpdateStore store)
{
    public async Task<List<AssignedVersion>> AssignAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        var rollouts = await store.ListActiveRolloutsAsync(cancellationToken).ConfigureAwait(false);
        var devices = await store.ListDevicesAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<AssignedVersion>();
        foreach (var model in rollouts.Select(r => r.Model).Distinct(StringComparer.Ordinal))
        {
            var chosen = await ChooseAsync(device, rollouts.Where(r => r.Model == model).ToList(), devices, cancellationToken).ConfigureAwait(false);
            if (chosen is not null)
            {
                result.Add(chosen);
            }
        }

        return result;
    }

    /// <summary>The devices a rollout reaches right now.</summary>
    public static List<DeviceRecord> Members(RolloutRecord rollout, IReadOnlyList<DeviceRecord> devices)
    {
        var targeted = devices.Where(d => Matches(rollout, d)).ToList();
        if (rollout.Strategy != (int)RolloutStrategy.Canary)
        {
            return targeted;
        }

        var count = (int)Math.Ceiling(rollout.CanaryPercent / 100.0 * targeted.Count - 1e-9);
        return [.. targeted.OrderBy(d => Bucket(rollout.Id, d.DeviceId)).ThenBy(d => d.DeviceId, StringComparer.Ordinal).Take(count)];
    }

    private async Task<AssignedVersion?> ChooseAsync(DeviceRecord device, List<RolloutRecord> rollouts, IReadOnlyList<DeviceRecord> devices, CancellationToken cancellationToken)
    {
        // Newest first: the first rollout that includes this device decides; completed ones include every targeted device.
        foreach (var rollout in rollouts)
        {
            var included = rollout.State == "completed" ? Matches(rollout, device) : Members(rollout, devices).Any(d => d.DeviceId == device.DeviceId);
            if (!included)
            {
                continue;
            }

            var package = await store.GetPackageAsync(rollout.Model, rollout.Version, cancellationToken).ConfigureAwait(false);
            if (package is not null)
            {
                return new AssignedVersion
                {
                    Model = package.Name,
                    Version = package.Version,
                    Sha256 = package.Sha256,
                    Size = package.Size,
                    Weight = 1,
                    RolloutId = rollout.Id,
                };
            }
        }

        return null;
    }

    private static bool Matches(RolloutRecord rollout, DeviceRecord device) =>
        rollout.TargetAttributes.All(kv => device.Attributes.TryGetValue(kv.Key, out var v) && v == kv.Value)
        && rollout.TargetTags.All(t => device.Tags.Contains(t));

    private static ulong Bucket(string rolloutId, string deviceId) =>
        BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(rolloutId + ":" + deviceId)));
}

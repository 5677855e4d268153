using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Registers the stores the configuration selects (<see cref="UpdateServerOptions.Database"/>): SQLite or PostgreSQL.</summary>
internal static class StorageRegistration
{
    /// <summary>
    /// Adds <see cref="IUpdateStore"/>, <see cref="ITelemetryStore"/> and <see cref="IBlobStore"/>. For PostgreSQL the schema is
    /// migrated here, so a bad connection string or an unreachable server stops the start with a clear message.
    /// </summary>
    public static IServiceCollection AddEdgeDeployStorage(this IServiceCollection services, UpdateServerOptions options)
    {
        var connectionString = PostgresConnectionString(options.Database);
        if (connectionString is null)
        {
            services.TryAddSingleton<IUpdateStore>(new SqliteUpdateStore(Path.Combine(options.DataDirectory, "edgedeploy.db")));
            services.TryAddSingleton<ITelemetryStore>(_ => new SqliteTelemetryStore(Path.Combine(options.DataDirectory, "telemetry.db"))); // the container disposes it
            services.TryAddSingleton<IBlobStore>(new FileBlobStore(Path.Combine(options.DataDirectory, "blobs")));
            services.TryAddSingleton<ILeaderElection, SingleNodeLeaderElection>();
            return services;
        }

        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        if (settings.WriteBufferSize == 8192)
        {
            // Npgsql's default 8 KiB buffer flushes (a send and a timeout timer each) every ~8 KB of a telemetry COPY.
            settings.WriteBufferSize = 64 * 1024;
        }

        var dataSource = NpgsqlDataSource.Create(settings.ConnectionString);
        try
        {
            PostgresSchema.Migrate(dataSource, TimeProvider.System);
        }
        catch (Exception ex) when (ex is NpgsqlException or PostgresException or TimeoutException or System.Net.Sockets.SocketException)
        {
            var target = new NpgsqlConnectionStringBuilder(connectionString);
            dataSource.Dispose();
            throw new InvalidOperationException(
                $"EdgeDeploy:Database: cannot open PostgreSQL database '{target.Database}' on {target.Host}:{target.Port} as '{target.Username}': {ex.Message}", ex);
        }

        services.AddSingleton(dataSource); // the container disposes it, after the stores that use it
        services.TryAddSingleton<IUpdateStore>(new PostgresUpdateStore(dataSource));
        services.TryAddSingleton<ITelemetryStore>(new PostgresTelemetryStore(dataSource));
        services.TryAddSingleton<IBlobStore>(sp => new PostgresBlobStore(dataSource, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ILeaderElection>(sp => new PostgresLeaderElection(connectionString, sp.GetRequiredService<ILogger<PostgresLeaderElection>>()));
        return services;
    }

    /// <summary>
    /// Null for SQLite ("sqlite" or empty); otherwise the setting as an Npgsql connection string. Accepts keyword form
    /// ("Host=...;Database=...") and URIs ("postgres://user:password@host:port/database?sslmode=require").
    /// </summary>
    /// <exception cref="InvalidOperationException">The setting is neither.</exception>
    internal static string? PostgresConnectionString(string? database)
    {
        var value = database?.Trim();
        if (string.IsNullOrEmpty(value) || value.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        const string Expected = "EdgeDeploy:Database must be 'sqlite' or a PostgreSQL connection string (\"Host=...;Database=...;Username=...\" or \"postgres://user:password@host:5432/database\")";
        try
        {
            var builder = value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
                ? FromUri(new Uri(value))
                : new NpgsqlConnectionStringBuilder(value);
            if (string.IsNullOrEmpty(builder.Host))
            {
                throw new InvalidOperationException($"{Expected}; the value names no host.");
            }

            return builder.ConnectionString;
        }
        catch (Exception ex) when (ex is ArgumentException or UriFormatException or FormatException or KeyNotFoundException)
        {
            // The message names the setting and the problem, never the value: it may hold a password.
            throw new InvalidOperationException($"{Expected}: {ex.Message}", ex);
        }
    }

    private static NpgsqlConnectionStringBuilder FromUri(Uri uri)
    {
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host };
        if (uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        if (uri.UserInfo.Split(':', 2) is [var user, ..] && user.Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(user);
        }

        if (uri.UserInfo.Split(':', 2) is [_, var password])
        {
            builder.Password = Uri.UnescapeDataString(password);
        }

        if (uri.AbsolutePath.Trim('/') is { Length: > 0 } name)
        {
            builder.Database = Uri.UnescapeDataString(name);
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            builder[Uri.UnescapeDataString(parts[0])] = parts.Length == 2 ? Uri.UnescapeDataString(parts[1]) : string.Empty;
        }

        return builder;
    }
}

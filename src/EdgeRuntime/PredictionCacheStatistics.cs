namespace EdgeDeploy.Runtime;

/// <summary>Counters of the prediction cache.</summary>
/// <param name="Hits">Lookups answered from the cache.</param>
/// <param name="Misses">Lookups that ran the model.</param>
/// <param name="Count">Entries held now.</param>
/// <param name="Capacity">Most entries held; 0 when the cache is off.</param>
public readonly record struct PredictionCacheStatistics(long Hits, long Misses, int Count, int Capacity);

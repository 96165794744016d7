using System.Runtime.InteropServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Switchboard.Tenancy;

namespace Switchboard.Data.Sqlite;

/// <summary>The embedded default database. Owns the SQLite migrations.</summary>
public sealed class SqliteAppDbContext(DbContextOptions<SqliteAppDbContext> options, CurrentPrincipal principal)
    : AppDbContext(options, principal)
{
    protected override ProviderSql Sql => ProviderSql.Sqlite;

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot order or compare DateTimeOffset text, nor aggregate decimal text: store numbers.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        configurationBuilder.Properties<decimal>().HaveConversion<double>();
        configurationBuilder.Properties<float[]>().HaveConversion<FloatArrayToBlobConverter, FloatArrayComparer>();
    }
}

/// <summary>Embeddings as a little-endian float32 BLOB (the seed's vector column on SQLite).</summary>
internal sealed class FloatArrayToBlobConverter() : ValueConverter<float[], byte[]>(
    v => ToBytes(v),
    v => ToFloats(v))
{
    public static byte[] ToBytes(float[] v) => MemoryMarshal.AsBytes(v.AsSpan()).ToArray();
    public static float[] ToFloats(byte[] v) => MemoryMarshal.Cast<byte, float>(v.AsSpan()).ToArray();
}

internal sealed class FloatArrayComparer() : ValueComparer<float[]>(
    (a, b) => a == null ? b == null : b != null && a.SequenceEqual(b),
    v => v.Length,
    v => v.ToArray());

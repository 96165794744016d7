using System.Diagnostics;
using System.Numerics.Tensors;

namespace Switchboard.Bench;

/// <summary>
/// Sequential read bandwidth of main memory, measured the way a scan reads it: a SIMD sum over a buffer
/// far larger than the caches, on one thread and on every core, best of several passes.
/// </summary>
public static class MemoryBandwidth
{
    public sealed record Result(double SingleThreadBytesPerSecond, double AllCoresBytesPerSecond, long BufferBytes);

    public static Result Measure(long bufferBytes = 512L * 1024 * 1024, int passes = 6)
    {
        var buffer = new float[bufferBytes / sizeof(float)];
        new Random(7).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(buffer.AsSpan()));
        // NaN payloads from random bytes do not slow a sum down, but keep the values tame anyway.
        for (var i = 0; i < buffer.Length; i += 1024) buffer[i] = 1;

        var single = Best(passes, () => { _ = TensorPrimitives.Sum(buffer); }, bufferBytes);
        var cores = Environment.ProcessorCount;
        var slice = buffer.Length / cores;
        var all = Best(passes, () => Parallel.For(0, cores, c =>
        {
            var length = c == cores - 1 ? buffer.Length - c * slice : slice;
            _ = TensorPrimitives.Sum(buffer.AsSpan(c * slice, length));
        }), bufferBytes);
        return new Result(single, all, bufferBytes);
    }

    private static double Best(int passes, Action read, long bytes)
    {
        read(); // warm-up: page faults and JIT
        var best = double.MaxValue;
        for (var i = 0; i < passes; i++)
        {
            var start = Stopwatch.GetTimestamp();
            read();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return bytes / best;
    }
}

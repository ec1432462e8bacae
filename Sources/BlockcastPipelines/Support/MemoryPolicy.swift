#if canImport(Glibc)
    import Glibc
#endif

/// How the process hands memory back, so that peak memory follows the tensors alive rather
/// than the allocator's history.
public enum MemoryPolicy {
    /// Allocations this large or larger get their own mapping, unmapped when freed.
    public static let largeBlockBytes: Int32 = 1 << 20

    /// Fixes glibc's mmap threshold at ``largeBlockBytes``. By default glibc raises it to the
    /// size of each large block freed (up to 32 MiB), after which tensor-sized buffers come
    /// from per-thread heaps that keep them: converting a 1 GiB checkpoint whose largest
    /// tensor is 32 MiB then peaked anywhere from 140 to 300 MB; with the threshold fixed it
    /// stays near 100 MB. The commands that stream tensors (synth, quantize, dequantize,
    /// reshard) call it once before they start; the forward pass does not, since it reuses
    /// activation buffers of a few sizes that the heap serves faster than fresh mappings.
    /// Returns whether the allocator took the setting.
    @discardableResult
    public static func returnLargeBlocksToTheSystem() -> Bool {
        #if canImport(Glibc)
            // `mallopt` is declared in <malloc.h>, which the Glibc module does not import;
            // it is looked up by name instead. M_MMAP_THRESHOLD is -3 in glibc's ABI.
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else {
                return false
            }
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            return mallopt(-3, largeBlockBytes) == 1
        #else
            return false
        #endif
    }
}

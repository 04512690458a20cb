import Foundation
import SeededRandom
import TOMDatabase

/// A SplitMix64 stream per (seed, stream), so `ppdb synth` writes the same rows for the same
/// seed on any machine, with the draws `synth` needs.
struct SynthRandom: RandomNumberGenerator {
    private var generator: SplitMix64

    init(seed: UInt64, stream: UInt64) {
        generator = SplitMix64(state: (seed &* 0x9E37_79B9_7F4A_7C15) ^ ((stream &+ 0x632B_E59B_D9B4_E019) &* 0xD1B5_4A32_D192_ED03))
        _ = next()
    }

    mutating func next() -> UInt64 { generator.next() }

    mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// A standard normal deviate (Box–Muller).
    mutating func gaussian() -> Double {
        let u1 = max(uniform(), 1e-300)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * uniform())
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
}

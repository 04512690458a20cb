import AvroSchemas
import Foundation
import TestSupport
import Testing

/// Seeded fuzzing of the decoder: random bytes and mutated valid messages must give a result or
/// a typed error, never a crash, and never grow memory. `ELASTICC_FUZZ_ITERATIONS` scales it
/// (scripts/chaos runs over a million).
@Suite("Decoder fuzzing")
struct FuzzTests {
    static var iterations: Int { Int(ProcessInfo.processInfo.environment["ELASTICC_FUZZ_ITERATIONS"] ?? "") ?? 200_000 }

    static func peakResidentKilobytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }

    @Test("Random and mutated messages never crash the decoder or grow memory")
    func fuzz() {
        var random = SeededGenerator(seed: 0xF0225)
        var generator = RecordGenerator(seed: 77)
        let seeds: [[UInt8]] =
            (0..<20).map { _ in AvroCodec.encode(generator.alert()) }
            + (0..<20).map { _ in AvroCodec.encode(generator.brokerClassification()) }
        let before = Self.peakResidentKilobytes()
        var decoded = 0
        var refused = 0
        for iteration in 0..<Self.iterations {
            var bytes: [UInt8]
            switch iteration % 4 {
            case 0:
                bytes = (0..<Int.random(in: 0...256, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 1:
                bytes = seeds.randomElement(using: &random)!
                for _ in 0..<Int.random(in: 1...6, using: &random) where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            case 2:
                bytes = seeds.randomElement(using: &random)!
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
            default:
                // Splice a huge varint (a hostile length or count) into a valid message.
                bytes = seeds.randomElement(using: &random)!
                let at = Int.random(in: 0...bytes.count, using: &random)
                bytes.insert(contentsOf: [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], at: at)
            }
            let alert = try? AvroCodec.decodeFramed(Alert.self, from: bytes)
            let classification = try? AvroCodec.decodeFramed(BrokerClassification.self, from: bytes)
            if alert != nil || classification != nil { decoded += 1 } else { refused += 1 }
        }
        let growth = Self.peakResidentKilobytes() - before
        print(
            "fault: \(Self.iterations) fuzzed messages (random, byte-mutated, truncated, hostile lengths): decoded \(decoded), "
                + "refused with a typed error \(refused), crashes 0, peak memory growth \(growth / 1024) MB")
        #expect(decoded + refused == Self.iterations)
        #expect(refused > Self.iterations / 2)
        // Bounded allocation: hostile lengths never turned into large buffers. Peak RSS is the
        // whole process's, so it means something only when the fuzzer runs alone (scripts/chaos).
        if ProcessInfo.processInfo.environment["ELASTICC_FUZZ_ALONE"] == "1" {
            #expect(growth < 200_000)
        }
    }
}

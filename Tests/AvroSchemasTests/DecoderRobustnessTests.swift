import AvroSchemas
import TestSupport
import Testing

@Suite("Decoder on untrusted bytes")
struct DecoderRobustnessTests {
    static let alert: Alert = {
        var generator = RecordGenerator(seed: 99)
        var alert = generator.alert()
        alert.prvDiaSources = [generator.diaSource(), generator.diaSource()]
        alert.diaSource.filterName = "r"
        alert.diaObject = generator.diaObject()
        return alert
    }()

    @Test("Round trip keeps every value")
    func roundTrip() throws {
        let bytes = AvroCodec.encode(Self.alert)
        let decoded = try AvroCodec.decode(Alert.self, from: bytes)
        #expect(AvroCodec.encode(decoded) == bytes)
        #expect(decoded.alertId == Self.alert.alertId)
        #expect(decoded.prvDiaSources?.count == 2)
    }

    @Test("Every truncation is a typed error, never a crash")
    func truncations() {
        let bytes = AvroCodec.encode(Self.alert)
        for length in 0..<bytes.count {
            #expect(throws: AvroDecodingError.self) { try AvroCodec.decode(Alert.self, from: Array(bytes[..<length])) }
        }
    }

    @Test("A truncated string names its field and offset")
    func truncationNamesField() {
        // alertId 1, diaSourceId 2, diaObjectId null, midPointTai, then a filterName claiming 5 bytes.
        var writer = AvroBinaryWriter()
        writer.writeLong(1)
        writer.writeLong(2)
        writer.writeLong(0)
        writer.writeDouble(1.0)
        writer.writeLong(5)
        let error = #expect(throws: AvroDecodingError.self) { try AvroCodec.decode(Alert.self, from: writer.bytes) }
        #expect(error?.kind == .lengthExceedsInput(5))
        #expect(error?.path == "diaSource.filterName")
        #expect(error?.offset == 11)
    }

    @Test("A bad union index is reported with the index")
    func badUnionIndex() throws {
        var message = BrokerClassification(
            alertId: 1, diaSourceId: 2, elasticcPublishTimestamp: 3, brokerIngestTimestamp: nil,
            brokerName: "b", brokerVersion: "v", classifierName: "c", classifierParams: "p", classifications: [])
        var bytes = AvroCodec.encode(message)
        bytes[3] = 4  // zig-zag 2: branch index 2 of a two-branch union
        let error = #expect(throws: AvroDecodingError.self) { try AvroCodec.decode(BrokerClassification.self, from: bytes) }
        #expect(error?.kind == .invalidUnionIndex(2))
        #expect(error?.path == "brokerIngestTimestamp")
        message.brokerIngestTimestamp = 5
        #expect(try AvroCodec.decode(BrokerClassification.self, from: AvroCodec.encode(message)) == message)
    }

    @Test("Negative and huge lengths and counts are refused before allocating")
    func hostileLengths() {
        for hostile: Int64 in [-1, -5, .max, .min, 1 << 40] {
            var writer = AvroBinaryWriter()
            writer.writeLong(1)
            writer.writeLong(2)
            writer.writeLong(3)
            writer.writeLong(0)
            writer.writeLong(hostile)  // brokerName length
            #expect(throws: AvroDecodingError.self) { try AvroCodec.decode(BrokerClassification.self, from: writer.bytes) }

            var arrays = AvroBinaryWriter()
            arrays.writeLong(1)
            arrays.writeLong(2)
            arrays.writeLong(3)
            arrays.writeLong(0)
            for _ in 0..<4 { arrays.writeString("s") }
            arrays.writeLong(hostile)  // classifications block count
            arrays.writeLong(10)
            let error = #expect(throws: AvroDecodingError.self) { try AvroCodec.decode(BrokerClassification.self, from: arrays.bytes) }
            #expect(error?.path.hasPrefix("classifications") == true)
        }
    }

    @Test("Negative block counts with a byte size are read as Avro allows")
    func negativeBlockCount() throws {
        var writer = AvroBinaryWriter()
        writer.writeLong(1)
        writer.writeLong(2)
        writer.writeLong(3)
        writer.writeLong(0)
        for _ in 0..<4 { writer.writeString("s") }
        writer.writeLong(-2)
        writer.writeLong(10)
        writer.writeInt(2222)
        writer.writeFloat(0.5)
        writer.writeInt(2223)
        writer.writeFloat(0.5)
        writer.writeLong(1)
        writer.writeInt(2224)
        writer.writeFloat(0)
        writer.writeLong(0)
        let message = try AvroCodec.decode(BrokerClassification.self, from: writer.bytes)
        #expect(message.classifications.map(\.classId) == [2222, 2223, 2224])
    }

    @Test("The writer encodes byte for byte as Avro says, growing past the room it reserved; non-ASCII strings read back")
    func writerEncodingAndGrowth() throws {
        var writer = AvroBinaryWriter(reservingCapacity: 4)
        for value: Int64 in [0, -1, 1, 63, -64, 64, .max, .min] { writer.writeLong(value) }
        writer.writeFloat(1)
        writer.writeDouble(1)
        writer.writeBoolean(true)
        writer.writeString("héllo")
        let expected: [UInt8] =
            [0x00, 0x01, 0x02, 0x7E, 0x7F, 0x80, 0x01]
            + [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
            + [0x00, 0x00, 0x80, 0x3F] + [0, 0, 0, 0, 0, 0, 0xF0, 0x3F] + [0x01] + [0x0C] + Array("héllo".utf8)
        #expect(writer.bytes == expected)
        let long = String(repeating: "ü", count: 5000)
        writer.writeString(long)
        let finished = writer.finish()
        #expect(finished.count == expected.count + 3 + 10_000 && Array(finished.prefix(expected.count)) == expected)
        var message = BrokerClassification(
            alertId: 1, diaSourceId: 2, elasticcPublishTimestamp: 3, brokerIngestTimestamp: nil, brokerName: "Brökér", brokerVersion: "1",
            classifierName: long, classifierParams: "", classifications: [])
        #expect(try AvroCodec.decode(BrokerClassification.self, from: AvroCodec.encode(message, reservingCapacity: 8)) == message)
        message.brokerName = "plain"
        #expect(try AvroCodec.decode(BrokerClassification.self, from: AvroCodec.encode(message)).brokerName == "plain")
    }

    @Test("Invalid UTF-8 is an error naming the field")
    func invalidUTF8() {
        var writer = AvroBinaryWriter()
        writer.writeLong(1)
        writer.writeLong(2)
        writer.writeLong(3)
        writer.writeLong(0)
        writer.writeBytes([0xC3, 0x28])
        let error = #expect(throws: AvroDecodingError.self) { try AvroCodec.decode(BrokerClassification.self, from: writer.bytes) }
        #expect(error?.kind == .invalidUTF8)
        #expect(error?.path == "brokerName")
    }

    @Test("Over-long varints and out-of-range ints are errors")
    func overlongVarint() {
        let error = #expect(throws: AvroDecodingError.self) {
            try AvroCodec.decode(BrokerClassification.self, from: [UInt8](repeating: 0xFF, count: 12))
        }
        #expect(error?.kind == .varintTooLong)
        var writer = AvroBinaryWriter()
        writer.writeLong(1)
        writer.writeLong(2)
        writer.writeLong(3)
        writer.writeLong(0)
        for _ in 0..<4 { writer.writeString("s") }
        writer.writeLong(1)
        writer.writeLong(Int64(Int32.max) + 1)
        writer.writeFloat(1)
        writer.writeLong(0)
        let range = #expect(throws: AvroDecodingError.self) { try AvroCodec.decode(BrokerClassification.self, from: writer.bytes) }
        #expect(range?.kind == .valueOutOfRange(Int64(Int32.max) + 1))
        #expect(range?.path == "classifications[0].classId")
    }

    @Test("Trailing bytes are refused")
    func trailingBytes() {
        let bytes = AvroCodec.encode(Self.alert) + [0]
        let error = #expect(throws: AvroDecodingError.self) { try AvroCodec.decode(Alert.self, from: bytes) }
        #expect(error?.kind == .trailingBytes(1))
    }

    @Test("Confluent framing is recognised and reported with its schema id")
    func confluentFraming() throws {
        let message = BrokerClassification(
            alertId: 42, diaSourceId: 43, elasticcPublishTimestamp: 1_700_000_000_000, brokerIngestTimestamp: 1_700_000_000_500,
            brokerName: "Fink", brokerVersion: "2", classifierName: "c", classifierParams: "p",
            classifications: [.init(classId: 2222, probability: 1)])
        let framed = AvroCodec.encodeConfluent(message, schemaId: 0x0102_0304)
        #expect(Array(framed[..<5]) == [0, 1, 2, 3, 4])
        let decoded = try AvroCodec.decodeFramed(BrokerClassification.self, from: framed)
        #expect(decoded.framing == .confluent(schemaId: 0x0102_0304))
        #expect(decoded.record == message)
        let plain = try AvroCodec.decodeFramed(BrokerClassification.self, from: AvroCodec.encode(message))
        #expect(plain.framing == .schemaless)
        #expect(plain.record == message)
    }

    @Test("Seeded random mutations of valid messages never crash")
    func mutations() {
        var random = SeededGenerator(seed: 1234)
        let valid = AvroCodec.encode(Self.alert)
        var failures = 0
        for _ in 0..<20_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            if (try? AvroCodec.decodeFramed(Alert.self, from: bytes)) == nil { failures += 1 }
        }
        #expect(failures > 0)
    }
}

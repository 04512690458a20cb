import AvroSchemas
import FakeBrokering
import Testing

@Suite("Classifiers")
struct ClassifierTests {
    static let alert = Alert(
        alertId: 42,
        diaSource: DiaSource(diaSourceId: 42, diaObjectId: 1, midPointTai: 60000, filterName: "r", ra: 1, decl: 2, psFlux: 3, psFluxErr: 1, snr: 3),
        prvDiaSources: [], prvDiaForcedSources: [], diaObject: nil)

    @Test("NugentClassifier answers type Ia with certainty")
    func nugent() {
        var random = ClassifierRandom(seed: 1, alertId: 42, salt: "x")
        #expect(NugentClassifier().classify(Self.alert, random: &random) == [.init(classId: 2222, probability: 1)])
    }

    @Test("RandomSNType gives the 20 classes, 2242 last, summing to one", arguments: 0..<200)
    func randomSNType(alertId: Int64) {
        var alert = Self.alert
        alert.alertId = alertId
        var random = ClassifierRandom(seed: 9, alertId: alertId, salt: "RandomSNType")
        let answer = RandomSNType().classify(alert, random: &random)
        #expect(answer.count == 20)
        #expect(
            Set(answer.map(\.classId)) == [
                2222, 2223, 2224, 2225, 2226, 2232, 2233, 2234, 2235, 2242, 2243, 2244, 2245, 2246, 2322, 2323, 2324, 2325, 2326, 2332,
            ])
        #expect(answer.last?.classId == 2242)
        #expect(answer.allSatisfy { $0.probability >= 0 && $0.probability <= 1 })
        #expect(abs(answer.map { Double($0.probability) }.reduce(0, +) - 1) < 1e-5)
    }

    @Test("A seed fixes the answer; alerts and seeds change it")
    func seeded() {
        func answer(seed: UInt64, alertId: Int64) -> [BrokerClassification.Classification] {
            var random = ClassifierRandom(seed: seed, alertId: alertId, salt: "RandomSNType")
            return RandomSNType().classify(Self.alert, random: &random)
        }
        #expect(answer(seed: 3, alertId: 7) == answer(seed: 3, alertId: 7))
        #expect(answer(seed: 3, alertId: 7) != answer(seed: 3, alertId: 8))
        #expect(answer(seed: 3, alertId: 7) != answer(seed: 4, alertId: 7))
    }

    @Test("Classifiers are chosen by name, and an unknown name is an error")
    func byName() throws {
        #expect(try Classifiers.named(["RandomSNType"]).map(\.classifierName) == ["RandomSNType"])
        #expect(throws: Classifiers.UnknownClassifier.self) { try Classifiers.named(["Oracle"]) }
    }
}

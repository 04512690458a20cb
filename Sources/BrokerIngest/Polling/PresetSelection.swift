/// The TOM's brokerpoll2 flags, turned into broker sources.
public struct PresetSelection: Sendable {
    public var test: String?
    public var brahms: String?
    public var antares: Bool
    public var antaresTopic: String?
    public var fink: Bool
    public var finkTopic: String?
    public var alerce: Bool
    public var alercePattern: String
    public var grouptag: String?
    public var reset: Bool
    public var secretsDirectory: String

    public init(
        test: String? = nil, brahms: String? = nil, antares: Bool = false, antaresTopic: String? = nil, fink: Bool = false,
        finkTopic: String? = nil, alerce: Bool = false, alercePattern: String = BrokerPresets.alerceTopicPattern, grouptag: String? = nil,
        reset: Bool = false, secretsDirectory: String = "/secrets"
    ) {
        self.test = test
        self.brahms = brahms
        self.antares = antares
        self.antaresTopic = antaresTopic
        self.fink = fink
        self.finkTopic = finkTopic
        self.alerce = alerce
        self.alercePattern = alercePattern
        self.grouptag = grouptag
        self.reset = reset
        self.secretsDirectory = secretsDirectory
    }

    public func sources(environment: [String: String]) -> [BrokerSource] {
        var sources: [BrokerSource] = []
        if let test { sources.append(BrokerPresets.test(topic: test, grouptag: grouptag, reset: reset)) }
        if antares { sources.append(BrokerPresets.antares(topic: antaresTopic, grouptag: grouptag, reset: reset, secrets: secretsDirectory)) }
        if fink { sources.append(BrokerPresets.fink(topic: finkTopic, grouptag: grouptag, reset: reset)) }
        if alerce {
            sources.append(
                BrokerPresets.alerce(
                    grouptag: grouptag, reset: reset, environment: environment, secrets: secretsDirectory, pattern: alercePattern))
        }
        if let brahms { sources.append(BrokerPresets.brahms(topic: brahms, grouptag: grouptag, reset: reset)) }
        return sources
    }
}

import Foundation

/// The settings a deployment gives every tool once, in the environment, as defaults of their
/// flags (`KAFKA_SERVER`, `METRICS_LISTEN`, `KAFKA_SASL_MECHANISM`…); an empty value is none.
enum DeploymentEnvironment {
    static func value(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }
}

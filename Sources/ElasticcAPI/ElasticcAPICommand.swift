import ArgumentParser
import BlockingWork
import Foundation
import Postgres
import ServiceSupport
import WebAPI

@main
struct ElasticcAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elasticc-api",
        abstract: "The TOM's HTTP side for ELAsTiCC2: its login, brokers' REST push, accounts as Django keeps them.",
        subcommands: [Serve.self, AddUser.self])
}

struct AddUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-user",
        abstract: "Create a TOM user, or set an existing one's password (Django's pbkdf2_sha256 hash).",
        discussion: "The password is read from a file (its first line), never from the command line.")

    @Argument(help: "The username.") var name: String
    @Option(help: "File whose first line is the password.") var passwordFile: String
    @Flag(help: "Make the user a member of the group Broker (may push broker messages).") var broker = false
    @Flag(help: "Make the user a superuser.") var superuser = false
    @Flag(help: "Make the user a member of the group elasticc_admin (its db/runsqlquery/ reads every elasticc2 table, truth included).")
    var elasticcAdmin = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard !name.isEmpty, name.count <= 150 else { throw ValidationError("The username must have 1 to 150 characters.") }
    }

    func run() async throws {
        ParseOnly.exitIfRequested()
        let logger = logging.bootstrap(label: "elasticc-api")
        guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8),
            let password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init), !password.isEmpty
        else {
            throw ValidationError("Cannot read a password from \(passwordFile) (its first line).")
        }
        // 600,000 rounds of PBKDF2 take a fraction of a second of CPU: off the cooperative pool.
        let hashing = BlockingExecutor(label: "password hashing")
        let hash = try await hashing.run { try DjangoPassword.hash(password) }
        let connection = try await PostgresConnection.open(database.resolved.conninfo, applicationName: "elasticc-api add-user")
        let (name, broker, superuser, elasticcAdmin) = (self.name, self.broker, self.superuser, self.elasticcAdmin)
        let created = try await connection.run { connection in
            try UserDirectory.save(
                username: name, passwordHash: hash, broker: broker, superuser: superuser, elasticcAdmin: elasticcAdmin, on: connection)
        }
        logger.info(
            "User saved",
            metadata: [
                "user": "\(name)", "created": "\(created)", "broker": "\(broker)", "superuser": "\(superuser)", "elasticc_admin": "\(elasticcAdmin)",
            ])
        print(
            "\(created ? "created" : "updated") user \(name)\(broker ? " (Broker)" : "")\(superuser ? " (superuser)" : "")\(elasticcAdmin ? " (elasticc_admin)" : "")"
        )
    }
}

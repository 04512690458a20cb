import Foundation
import Logging
import Postgres
import TOMDatabase
import TestSupport
import Testing
import WebAPI

@Suite("Accounts as Django keeps them: password hashes, users, groups, sessions")
struct AccountsTests {
    /// Django's hasher, as Django computes it (hashlib's PBKDF2-HMAC-SHA256, base64).
    func pythonHash(_ password: String, salt: String, iterations: Int) async throws -> String {
        try await TestEnvironment.run(
            [
                "python3", "-c",
                """
                import base64, hashlib, sys
                p, s, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
                print('pbkdf2_sha256$%d$%s$%s' % (n, s, base64.b64encode(hashlib.pbkdf2_hmac('sha256', p.encode(), s.encode(), n)).decode()))
                """,
                password, salt, String(iterations),
            ]
        ).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func pythonVerifies(_ password: String, _ encoded: String) async throws -> Bool {
        let output = try await TestEnvironment.run([
            "python3", "-c",
            """
            import base64, hashlib, hmac, sys
            algorithm, n, salt, digest = sys.argv[2].split('$', 3)
            derived = base64.b64encode(hashlib.pbkdf2_hmac('sha256', sys.argv[1].encode(), salt.encode(), int(n))).decode()
            print(algorithm == 'pbkdf2_sha256' and hmac.compare_digest(derived, digest))
            """,
            password, encoded,
        ])
        return output.trimmingCharacters(in: .whitespacesAndNewlines) == "True"
    }

    @Test("Hashes Django made verify here, hashes made here verify as Django's, at any iteration count")
    func djangoHashes() async throws {
        let theirs = try await pythonHash("s3cret ünï", salt: "OsgHnB034oZJtXblVE2I1P", iterations: 390_000)
        #expect(DjangoPassword.verify("s3cret ünï", against: theirs))
        #expect(!DjangoPassword.verify("s3cret uni", against: theirs))
        let ours = try DjangoPassword.hash("another one")
        #expect(ours.hasPrefix("pbkdf2_sha256$600000$"))
        #expect(ours.split(separator: "$")[2].count == 22)
        #expect(try await pythonVerifies("another one", ours))
        #expect(try await !pythonVerifies("another on", ours))
        for malformed in ["", "pbkdf2_sha256$x$y$z", "argon2$1$a$b", "pbkdf2_sha256$600000$salt", ours + "x"] {
            #expect(!DjangoPassword.verify("another one", against: malformed))
        }
    }

    @Test("Users are created and updated in Django's tables; Broker membership and the push rule")
    func users() async throws {
        let connection = try PostgresConnection(try PostgresTestServer.shared.makeDatabase("users"))
        _ = try Migrator.migrate(connection, logger: Logger(label: "accounts-tests"))
        #expect(try UserDirectory.save(username: "ampel", passwordHash: "h1", broker: true, superuser: false, on: connection))
        #expect(try UserDirectory.save(username: "scientist", passwordHash: "h2", broker: false, superuser: false, on: connection))
        #expect(try !UserDirectory.save(username: "ampel", passwordHash: "h3", broker: true, superuser: false, on: connection))
        let ampel = try #require(try UserDirectory.find(username: "ampel", on: connection))
        #expect(ampel.passwordHash == "h3" && ampel.user.isBroker && ampel.user.mayPushBrokerMessages)
        let scientist = try #require(try UserDirectory.find(username: "scientist", on: connection))
        #expect(!scientist.user.isBroker && !scientist.user.mayPushBrokerMessages)
        #expect(try UserDirectory.find(username: "nobody", on: connection) == nil)
        let groups = try await connection.query("SELECT count(*) FROM auth_user_groups", statement: "memberships").value(0, 0, as: Int.self)
        #expect(groups == 1)
    }

    @Test("Sessions find their user until they expire")
    func sessions() async throws {
        let connection = try PostgresConnection(try PostgresTestServer.shared.makeDatabase("sessions"))
        _ = try Migrator.migrate(connection, logger: Logger(label: "accounts-tests"))
        try UserDirectory.save(username: "ampel", passwordHash: "h", broker: true, superuser: false, on: connection)
        let id = try #require(try UserDirectory.find(username: "ampel", on: connection)).user.id
        let live = try SessionStore.create(userId: id, lifetime: .seconds(3600), on: connection)
        #expect(live.count == 32)
        #expect(try SessionStore.user(forSession: live, on: connection)?.username == "ampel")
        let expired = try SessionStore.create(userId: id, lifetime: .seconds(-1), on: connection)
        #expect(try SessionStore.user(forSession: expired, on: connection) == nil)
        #expect(try SessionStore.user(forSession: "'; DROP TABLE auth_user; --", on: connection) == nil)
    }

    @Test("elasticc-api add-user reads the password from a file and stores a hash Django accepts")
    func addUserCommand() async throws {
        let url = try PostgresTestServer.shared.makeDatabase("adduser")
        let connection = try PostgresConnection(url)
        _ = try Migrator.migrate(connection, logger: Logger(label: "accounts-tests"))
        let passwordFile = try TestEnvironment.temporaryFile("testing\n", prefix: "password")
        let output = try await TestEnvironment.run([
            TestEnvironment.executable("elasticc-api"), "add-user", "apibroker", "--password-file", passwordFile, "--broker", "--db", url,
        ])
        #expect(output.contains("created user apibroker (Broker)"))
        let stored = try #require(try UserDirectory.find(username: "apibroker", on: connection))
        #expect(stored.user.isBroker)
        #expect(try await pythonVerifies("testing", stored.passwordHash))
        let missing = try await TestEnvironment.execute([
            TestEnvironment.executable("elasticc-api"), "add-user", "x", "--password-file", "/no/such/file", "--db", url,
        ])
        #expect(missing.status != 0 && missing.stderr.contains("Cannot read a password"))
    }
}

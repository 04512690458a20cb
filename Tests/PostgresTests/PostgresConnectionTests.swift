import Foundation
import Postgres
import TestSupport
import Testing

@Suite("PostgreSQL connection against a real server")
struct PostgresConnectionTests {
    static let databaseURL: String = try! PostgresTestServer.shared.makeDatabase("pgconn")

    func connect() throws -> PostgresConnection { try PostgresConnection(Self.databaseURL) }

    @Test("Every supported type goes in as a parameter and comes back exactly")
    func typedRoundTrip() throws {
        let connection = try connect()
        let stamp = PostgresTimestamp(microsecondsSinceEpoch: 1_700_000_000_123_456)
        let nothing: Int64? = nil
        let result = try connection.query(
            """
            SELECT \(Int64.max)::bigint, \(Int32.min)::integer, \(Int16(-32768))::smallint, \(Float(3.4028235e38))::real,
                   \(60578.123456789012)::double precision, \(true)::boolean, \("'); DROP TABLE x; -- ünïcode\t\"q\"")::text,
                   \(stamp)::timestamptz, \([Int16(2222), -1, 32767]), \([Float(0.1), 1e-30, .infinity]), \(nothing)::bigint
            """, statement: "typed round trip")
        #expect(try result.value(0, 0, as: Int64.self) == .max)
        #expect(try result.value(0, 1, as: Int32.self) == .min)
        #expect(try result.value(0, 2, as: Int16.self) == -32768)
        #expect(try result.value(0, 3, as: Float.self) == 3.4028235e38)
        #expect(try result.value(0, 4, as: Double.self) == 60578.123456789012)
        #expect(try result.value(0, 5, as: Bool.self) == true)
        #expect(try result.value(0, 6, as: String.self) == "'); DROP TABLE x; -- ünïcode\t\"q\"")
        #expect(try result.value(0, 7, as: PostgresTimestamp.self) == stamp)
        #expect(try result.value(0, 8, as: [Int16].self) == [2222, -1, 32767])
        #expect(try result.value(0, 9, as: [Float].self) == [0.1, 1e-30, .infinity])
        #expect(try result.optional(0, 10, as: Int64.self) == nil)
        #expect(result.isNull(0, 10))
    }

    @Test("Binary results read the same values as text results, and refuse what they cannot read")
    func binaryResults() throws {
        let connection = try connect()
        let stamp = PostgresTimestamp(microsecondsSinceEpoch: -1_234_567)  // before 1970 and before 2000
        let sql: PostgresQuery = """
            SELECT \(Int64.min)::bigint, \(Int32.max)::integer, \(Int16(-7))::smallint, \(Float(-1.5e-7))::real,
                   \(60578.123456789012)::double precision, 'NaN'::double precision, \(false)::boolean, \("ünïcode")::text,
                   'abc'::varchar(5), \(stamp)::timestamptz, NULL::real, 1.5::numeric, ARRAY[1, 2]::int2[], 0.25::double precision
            """
        let text = try connection.query(sql, statement: "text results")
        let binary = try connection.query(sql, statement: "binary results", results: .binary)
        for result in [text, binary] {
            #expect(try result.value(0, 0, as: Int64.self) == .min)
            #expect(try result.value(0, 1, as: Int32.self) == .max)
            #expect(try result.value(0, 1, as: Int64.self) == Int64(Int32.max))
            #expect(try result.value(0, 2, as: Int16.self) == -7)
            #expect(try result.value(0, 3, as: Float.self) == -1.5e-7)
            #expect(try result.value(0, 4, as: Double.self) == 60578.123456789012)
            #expect(try result.value(0, 5, as: Double.self).isNaN)
            #expect(try result.value(0, 6, as: Bool.self) == false)
            #expect(try result.value(0, 7, as: String.self) == "ünïcode")
            #expect(try result.value(0, 8, as: String.self) == "abc")
            #expect(try result.value(0, 9, as: PostgresTimestamp.self) == stamp)
            #expect(try result.optional(0, 10, as: Float.self) == nil)
            #expect(try result.value(0, 13, as: Float.self) == 0.25)
        }
        // A real read as a double is the float's exact value in binary, its shortest text's in text.
        #expect(try binary.value(0, 3, as: Double.self) == Double(Float(-1.5e-7)))
        #expect(try text.value(0, 3, as: Double.self) == -1.5e-7)
        // numeric's binary form is not an integer's nor a float's; arrays are read as text only.
        #expect(throws: PostgresError.self) { try binary.value(0, 11, as: Double.self) }
        #expect(throws: PostgresError.self) { try binary.value(0, 11, as: String.self) }
        #expect(throws: PostgresError.self) { try binary.value(0, 12, as: [Int16].self) }
        #expect(throws: PostgresError.self) { try binary.value(0, 4, as: Int64.self) }
        #expect(try text.value(0, 12, as: [Int16].self) == [1, 2])
    }

    @Test("Arrays of every element type and bytea travel as binary parameters of their real types")
    func binaryArrayParameters() throws {
        let connection = try connect()
        let texts = ["plain", "with,comma", "{braces}", "quote\"and\\backslash", "", "NULL", "ünï"]
        let bytes: [UInt8] = [0, 1, 0xFF, 0x5C, 0x27, 0x00, 0x7B]
        let result = try connection.query(
            """
            SELECT pg_typeof(\([Int16(1), 2])), pg_typeof(\([Int32(1), 2])), pg_typeof(\([Int64(1), 2])),
                   pg_typeof(\([Float(1), 2])), pg_typeof(\([Double(1), 2])), pg_typeof(\(texts)), pg_typeof(\(PostgresValue.bytea(bytes))),
                   array_length(\(texts), 1), \(texts)[4], \(texts)[6] IS NULL, length(\(PostgresValue.bytea(bytes))),
                   encode(\(PostgresValue.bytea(bytes)), 'hex'), (\([Int64.min, Int64.max]))[2], cardinality(\([Int32]()))
            """, statement: "binary array parameters")
        #expect(
            try (0..<7).map { try result.value(0, $0, as: String.self) }
                == ["smallint[]", "integer[]", "bigint[]", "real[]", "double precision[]", "text[]", "bytea"])
        #expect(try result.value(0, 7, as: Int.self) == texts.count)
        #expect(try result.value(0, 8, as: String.self) == "quote\"and\\backslash")
        #expect(try result.value(0, 9, as: Bool.self) == false)
        #expect(try result.value(0, 10, as: Int.self) == bytes.count)
        #expect(try result.value(0, 11, as: String.self) == "0001ff5c27007b")
        #expect(try result.value(0, 12, as: Int64.self) == .max)
        #expect(try result.value(0, 13, as: Int.self) == 0)
    }

    @Test("An unexpected NULL, type or column is a decoding error naming the column and statement, not a crash")
    func decodingErrors() throws {
        let connection = try connect()
        let result = try connection.query("SELECT NULL::bigint AS maybe, 'x'::text AS word", statement: "odd row")
        let null = #expect(throws: PostgresError.self) { try result.value(0, 0, as: Int64.self) }
        #expect(null?.kind == .decoding)
        #expect(null?.description.contains("maybe") == true)
        #expect(null?.description.contains("odd row") == true)
        let wrongType = #expect(throws: PostgresError.self) { try result.value(0, 1, as: Int64.self) }
        #expect(wrongType?.description.contains("word") == true)
        #expect(throws: PostgresError.self) { try result.value(0, 2, as: String.self) }
        #expect(throws: PostgresError.self) { try result.value(1, 0, as: Int64.self) }
    }

    @Test("Rows decode whole into tuples (NULL into optionals), by column name, or as the single row; a width or NULL that does not fit throws")
    func typedRows() throws {
        let connection = try connect()
        let result = try connection.query(
            "SELECT n::bigint AS id, CASE WHEN n = 2 THEN NULL ELSE 'row ' || n END AS label, n * 0.5 AS half FROM generate_series(1, 3) n",
            statement: "typed rows")
        let rows = try result.rows.map { try $0.decode((Int64, String?, Double).self) }
        #expect(rows.map(\.0) == [1, 2, 3] && rows.map(\.1) == ["row 1", nil, "row 3"] && rows.map(\.2) == [0.5, 1, 1.5])
        #expect(try result.rows[2].decode(String.self, column: "label") == "row 3")
        let narrow = #expect(throws: PostgresError.self) { try result.rows[0].decode((Int64, String?).self) }
        #expect(narrow?.description.contains("a row of 3 columns read as 2") == true)
        let null = #expect(throws: PostgresError.self) { try result.rows[1].decode((Int64, String, Double).self) }
        #expect(null?.description.contains("label") == true)
        #expect(throws: PostgresError.self) { try result.rows[0].decode(Int64.self, column: "nope") }
        #expect(throws: PostgresError.self) { try result.single((Int64, String?, Double).self) }
        let one = try connection.query("SELECT 7::int, true", statement: "one row").single((Int32, Bool).self)
        #expect(one.0 == 7 && one.1)
    }

    @Test("Array text is read as array_in writes it: quotes, escapes, NULL, nesting, bounds; what PostgreSQL prints of real arrays")
    func arrayText() throws {
        typealias E = PostgresArrayText.Element
        #expect(
            PostgresArrayText.parse("{1,NULL,\"NULL\",\"a,b\",\"c\\\"d\"}".utf8)
                == .array([.text("1"), .null, .text("NULL"), .text("a,b"), .text("c\"d")]))
        #expect(PostgresArrayText.parse("[0:1]={{1,2},{}}".utf8) == .array([.array([.text("1"), .text("2")]), .array([])]))
        for broken in ["", "1,2", "{1,2", "{\"open}", "{1}x"] { #expect(PostgresArrayText.parse(broken.utf8) == nil, "\(broken)") }
        #expect(PostgresArrayText.flat("{1,NULL}".utf8) { Int($0) } == nil)
        // What the server itself prints, for awkward texts.
        let connection = try connect()
        let texts = ["plain", "with,comma", "{braces}", "quote\"and\\backslash", "", "NULL", "ünï", " spaced "]
        let printed = try connection.query("SELECT \(texts)::text[]::text", statement: "array text").single(String.self)
        #expect(PostgresArrayText.parse(printed.utf8) == .array(texts.map(E.text)))
    }

    @Test("The async API runs on the connection's own thread, and a cancelled task cancels its statement")
    func asyncAPIOnTheConnectionsExecutor() async throws {
        let connection = try await PostgresConnection.open(Self.databaseURL, applicationName: "executor test")
        #expect(try await connection.run { connection in connection.executor.isCurrent })
        #expect(!connection.executor.isCurrent)
        let started = ContinuousClock.now
        var cancelled = started
        let outcome: Result<PostgresResult, any Error> = await withTaskGroup(of: Result<PostgresResult, any Error>.self) { group in
            group.addTask {
                do { return .success(try await connection.query("SELECT pg_sleep(60)", statement: "sleep")) } catch { return .failure(error) }
            }
            // Cancel once the server is really running the statement.
            let observer = try? await PostgresConnection.open(Self.databaseURL)
            while ContinuousClock.now - started < .seconds(10),
                (try? await observer?.query(
                    """
                    SELECT count(*) FROM pg_stat_activity WHERE application_name = 'executor test' AND query LIKE '%pg_sleep%' AND state = 'active'
                    """, statement: "is it sleeping"
                ).value(0, 0, as: Int.self)) != 1
            {}
            cancelled = ContinuousClock.now
            group.cancelAll()
            return await group.next()!
        }
        guard case .failure(let error as PostgresError) = outcome else {
            Issue.record("the cancelled statement did not fail: \(outcome)")
            return
        }
        #expect(error.sqlState == "57014")
        // Ended by the cancel, not by the 60 s sleep (at least 50 s after the cancel): timed from
        // the cancel, with room for a loaded machine (the whole suite once took 10.7 s here).
        #expect(ContinuousClock.now - cancelled < .seconds(30))
        #expect(try await connection.query("SELECT 1", statement: "still usable").value(0, 0, as: Int.self) == 1)
    }

    @Test("Errors carry SQLSTATE and the statement's name, never row data")
    func errorsAreSafe() throws {
        let connection = try connect()
        let error = #expect(throws: PostgresError.self) {
            try connection.query("SELECT \("secret-value-1234")::bigint", statement: "parse number")
        }
        #expect(error?.sqlState == "22P02")
        #expect(error?.statement == "parse number")
        #expect(error?.description.contains("secret-value-1234") == false)
        #expect(error?.description.contains("parse number") == true)

        try connection.query("CREATE TABLE uniq (id bigint PRIMARY KEY, payload text)", statement: "create")
        try connection.query("INSERT INTO uniq VALUES (7, 'private')", statement: "insert")
        let duplicate = #expect(throws: PostgresError.self) {
            try connection.query("INSERT INTO uniq VALUES (\(Int64(7)), \("private"))", statement: "insert duplicate")
        }
        #expect(duplicate?.sqlState == "23505")
        #expect(duplicate?.description.contains("private") == false)
        #expect(duplicate?.description.contains("(7)") == false)
    }

    @Test("A connection failure names no password")
    func connectionFailureIsRedacted() {
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection("host=127.0.0.1 port=1 user=nobody password=hunter2-secret connect_timeout=2")
        }
        #expect(error?.kind == .connection)
        #expect(error?.description.contains("hunter2-secret") == false)
    }

    @Test("A transaction commits on return and rolls back on a throw")
    func transactions() throws {
        let connection = try connect()
        try connection.query("CREATE TABLE tx (id integer)", statement: "create")
        try connection.transaction { try connection.query("INSERT INTO tx VALUES (1)", statement: "insert") }
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try connection.transaction {
                try connection.query("INSERT INTO tx VALUES (2)", statement: "insert")
                throw Abort()
            }
        }
        #expect(try connection.query("SELECT count(*), max(id) FROM tx", statement: "count").int64(0, 0) == 1)
    }

    @Test("COPY FROM STDIN loads many rows with escapes, nulls and special floats")
    func copyIn() throws {
        let connection = try connect()
        try connection.query("CREATE TABLE copied (id bigint, name text, value real, maybe double precision)", statement: "create")
        let count = try connection.copyIn("COPY copied (id, name, value, maybe) FROM STDIN", statement: "copy rows") { buffer in
            for index in 0..<100_000 {
                buffer.append(Int64(index))
                buffer.append(index == 5 ? "tab\there\nnew\\line" : "row \(index)")
                buffer.append(index == 6 ? Float.nan : Float(index) / 3)
                if index % 2 == 0 { buffer.appendNull() } else { buffer.append(Double(index) * 1e-3) }
                try buffer.endRow()
            }
        }
        #expect(count == 100_000)
        let check = try connection.query("SELECT count(*), count(maybe), sum(id) FROM copied", statement: "check")
        #expect(try check.int64(0, 0) == 100_000)
        #expect(try check.int64(0, 1) == 50_000)
        #expect(try check.int64(0, 2) == 4_999_950_000)
        let special = try connection.query("SELECT name, value FROM copied WHERE id IN (5, 6, 7) ORDER BY id", statement: "special")
        #expect(special.string(0, 0) == "tab\there\nnew\\line")
        #expect(try special.float(1, 1)?.isNaN == true)
        #expect(try special.float(2, 1) == Float(7) / 3)
    }

    @Test("Rows built ahead, away from the connection, load as the same rows; a bad payload loads nothing")
    func copyInPrebuilt() throws {
        let connection = try connect()
        try connection.query("CREATE TABLE prebuilt (id bigint, classes smallint[], note text)", statement: "create")
        // Over a megabyte, so the payload holds several chunks.
        let payload = try CopyPayload.build { buffer in
            for index in 0..<60_000 {
                buffer.append(Int64(index))
                buffer.append(smallints: (0..<Int16(index % 7)).map { $0 })
                buffer.append("row \(index)")
                try buffer.endRow()
            }
        }
        #expect(payload.chunks.count > 1)
        #expect(try connection.copyIn("COPY prebuilt (id, classes, note) FROM STDIN", payload: payload, statement: "copy built rows") == 60_000)
        let check = try connection.query(
            "SELECT count(*), sum(id), sum(cardinality(classes)), max(note) FILTER (WHERE id = 59999) FROM prebuilt", statement: "check")
        #expect(try check.int64(0, 0) == 60_000)
        #expect(try check.int64(0, 1) == 1_799_970_000)
        #expect(try check.int64(0, 2) == (0..<60_000).reduce(0) { $0 + Int64($1 % 7) })
        #expect(check.string(0, 3) == "row 59999")
        // Rows of another shape: the server refuses the COPY, and the table keeps what it had.
        let wrong = try CopyPayload.build { buffer in
            buffer.append("not a bigint")
            try buffer.endRow()
        }
        #expect(throws: PostgresError.self) { try connection.copyIn("COPY prebuilt (id) FROM STDIN", payload: wrong, statement: "copy wrong rows") }
        #expect(try connection.query("SELECT count(*) FROM prebuilt", statement: "recount").int64(0, 0) == 60_000)
        // A row larger than the buffer's megabyte grows it; the rows around it are intact.
        let large = String(repeating: "é", count: 1_500_000)
        let grown = try CopyPayload.build { buffer in
            for (id, note) in [(Int64(-1), "before"), (-2, large), (-3, "after")] {
                buffer.append(id)
                buffer.append(smallints: [7, 8])
                buffer.append(note)
                try buffer.endRow()
            }
        }
        #expect(try connection.copyIn("COPY prebuilt (id, classes, note) FROM STDIN", payload: grown, statement: "copy a large row") == 3)
        let notes = try connection.query("SELECT id, length(note), classes::text FROM prebuilt WHERE id < 0 ORDER BY id DESC", statement: "large")
        #expect(try (0..<3).map { try notes.int64($0, 0) } == [-1, -2, -3])
        #expect(try (0..<3).map { try notes.int64($0, 1) } == [6, 1_500_000, 5])
        #expect(notes.string(1, 2) == "{7,8}")
    }

    @Test("COPY writes integers, booleans, timestamps and arrays exactly, empty arrays and nulls included")
    func copyInEveryType() throws {
        let connection = try connect()
        try connection.query(
            """
            CREATE TABLE typed (n integer, flag boolean, stamp timestamptz, classes smallint[], probabilities real[], label varchar(20))
            """, statement: "create")
        let early = PostgresTimestamp(microsecondsSinceEpoch: -123_456_789)  // before both epochs
        let late = PostgresTimestamp(microsecondsSinceEpoch: 1_700_000_000_123_456)
        try connection.copyIn("COPY typed (n, flag, stamp, classes, probabilities, label) FROM STDIN", statement: "copy typed") { buffer in
            buffer.append(Int32.min)
            buffer.append(true)
            buffer.append(early)
            buffer.append(smallints: [2222, -1, .max])
            buffer.append(reals: [0.25, .infinity, -0.0])
            buffer.append("Ωμέγα")
            try buffer.endRow()
            buffer.append(Int32.max)
            buffer.append(false)
            buffer.append(late)
            buffer.append(smallints: [])
            buffer.append(reals: [])
            buffer.append(nil as String?)
            try buffer.endRow()
            buffer.appendNull()
            buffer.appendNull()
            buffer.append(nil as PostgresTimestamp?)
            buffer.appendNull()
            buffer.appendNull()
            buffer.appendNull()
            try buffer.endRow()
        }
        let rows = try connection.query(
            """
            SELECT n, flag, stamp, classes, probabilities, label, cardinality(classes), array_ndims(probabilities)
              FROM typed ORDER BY n NULLS LAST
            """, statement: "read typed")
        #expect(try rows.int32(0, 0) == .min)
        #expect(try rows.bool(0, 1) == true)
        #expect(try rows.timestamp(0, 2) == early)
        #expect(try rows.int16Array(0, 3) == [2222, -1, .max])
        #expect(try rows.floatArray(0, 4).map { $0.map(\.bitPattern) } == [Float(0.25), .infinity, -0.0].map(\.bitPattern))
        #expect(rows.string(0, 5) == "Ωμέγα")
        #expect(try rows.int32(1, 0) == .max)
        #expect(try rows.bool(1, 1) == false)
        #expect(try rows.timestamp(1, 2) == late)
        #expect(try rows.int16Array(1, 3) == [])
        #expect(try rows.int64(1, 6) == 0)
        #expect(try rows.int64(1, 7) == nil)
        #expect(rows.string(1, 5) == nil)
        #expect(try rows.int32(2, 0) == nil)
        #expect(try rows.timestamp(2, 2) == nil)
        #expect(try rows.int16Array(2, 3) == nil)
    }

    @Test("A failing COPY reports the server's error and leaves nothing behind")
    func copyFailure() throws {
        let connection = try connect()
        try connection.query("CREATE TABLE strict (id bigint NOT NULL)", statement: "create")
        #expect(throws: PostgresError.self) {
            try connection.copyIn("COPY strict (id) FROM STDIN", statement: "copy strict") { buffer in
                buffer.append(Int64(1))
                try buffer.endRow()
                buffer.appendNull()
                try buffer.endRow()
            }
        }
        #expect(try connection.query("SELECT count(*) FROM strict", statement: "count").int64(0, 0) == 0)
        #expect(try connection.query("SELECT 1", statement: "still usable").int64(0, 0) == 1)
    }

    @Test("Advisory locks exclude a second session until released")
    func advisoryLocks() throws {
        let first = try connect()
        let second = try connect()
        #expect(try first.tryAdvisoryLock(42))
        #expect(try !second.tryAdvisoryLock(42))
        try first.advisoryUnlock(42)
        #expect(try second.tryAdvisoryLock(42))
    }

    @Test("Timestamps print and parse in ISO form, across the epoch")
    func timestampText() {
        for micros: Int64 in [0, -1, 1_700_000_000_123_456, -86_400_000_001, 253_402_300_799_999_999] {
            let stamp = PostgresTimestamp(microsecondsSinceEpoch: micros)
            #expect(PostgresTimestamp(text: stamp.text) == stamp)
        }
        #expect(PostgresTimestamp(text: "2024-02-29 23:59:59.5+01:30")?.text == "2024-02-29 22:29:59.500000+00")
    }
}

@Suite("Database settings resolution")
struct DatabaseSettingsTests {
    @Test("A flag wins over every environment variable")
    func flagWins() {
        let resolved = DatabaseSettings.resolve(flag: "postgresql://a@b/c", environment: ["DATABASE_URL": "x", "DB_HOST": "h"])
        #expect(resolved.conninfo == "postgresql://a@b/c")
        #expect(resolved.source == .flag)
    }

    @Test("DATABASE_URL wins over the TOM's variables")
    func databaseURL() {
        let resolved = DatabaseSettings.resolve(flag: nil, environment: ["DATABASE_URL": "postgresql://u@h/d", "DB_HOST": "h"])
        #expect(resolved.source == .databaseURL)
    }

    @Test("The TOM's DB_* variables become a quoted conninfo")
    func tomVariables() {
        let resolved = DatabaseSettings.resolve(
            flag: "",
            environment: [
                "DB_HOST": "db.example", "DB_PORT": "5433", "DB_NAME": "tom", "DB_USER": "postgres", "DB_PASS": "it's a \\ secret",
            ])
        #expect(resolved.source == .tomVariables)
        #expect(resolved.conninfo == #"host='db.example' port='5433' dbname='tom' user='postgres' password='it\'s a \\ secret'"#)
        #expect(!DatabaseSettings.redacted(resolved.conninfo).contains("secret"))
    }

    @Test("Nothing set leaves libpq's PG* defaults")
    func libpqDefaults() {
        let resolved = DatabaseSettings.resolve(flag: nil, environment: ["PGHOST": "x"])
        #expect(resolved == ("", .libpqDefaults))
    }

    @Test("URL passwords are redacted")
    func urlRedaction() {
        #expect(DatabaseSettings.redacted("postgresql://tom:pa55@db:5432/tom") == "postgresql://tom:…@db:5432/tom")
    }
}

@Suite("PostgreSQL pool: bounded waits")
struct PostgresPoolTests {
    @Test("A lease waits at most the lease timeout, and a pooled session at most the lock timeout for a lock")
    func boundedWaits() async throws {
        let url = PostgresConnectionTests.databaseURL
        let pool = PostgresPool(
            conninfo: url, applicationName: "pool-tests", maximumConnections: 1, leaseTimeout: .milliseconds(300), lockTimeout: .milliseconds(300))
        let (held, release) = AsyncStream<Void>.makeStream()
        let (leased, leasedSignal) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await pool.withConnection { _ in
                    leasedSignal.yield()
                    for await _ in held { break }
                }
            }
            for await _ in leased { break }
            await #expect(throws: PostgresPool.LeaseTimedOut.self) { try await pool.withConnection { _ in } }
            release.yield()
            try await group.waitForAll()
        }
        // Given back, it serves the next request; an advisory lock held elsewhere fails it in time.
        let holder = try PostgresConnection(url)
        try await holder.query("SELECT pg_advisory_lock(4242)", statement: "hold")
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { connection in try await connection.query("SELECT pg_advisory_lock(4242)", statement: "wait") }
        }
        #expect(error?.sqlState == "55P03")
    }
}

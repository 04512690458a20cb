import Postgres

/// The TOM's classifiers (`elasticc2_brokerclassifier`), identified as its `load_batch` does by
/// broker name and version and classifier name and parameters.
public enum BrokerClassifiers {
    public struct Key: Hashable, Sendable {
        public var brokerName, brokerVersion, classifierName, classifierParams: String

        /// The classifier's name first: a broker's classifiers share its name and version.
        public static func == (lhs: Key, rhs: Key) -> Bool {
            lhs.classifierName == rhs.classifierName && lhs.classifierParams == rhs.classifierParams && lhs.brokerName == rhs.brokerName
                && lhs.brokerVersion == rhs.brokerVersion
        }

        public init(brokerName: String, brokerVersion: String, classifierName: String, classifierParams: String) {
            self.brokerName = brokerName
            self.brokerVersion = brokerVersion
            self.classifierName = classifierName
            self.classifierParams = classifierParams
        }
    }

    /// Serialises classifier creation across sessions and tools ("ESCLASSI").
    public static let lockKey: Int64 = 0x4553_434C_4153_5349

    /// The ids of `keys` not in `known`, found or created inside the caller's transaction (under
    /// a transaction-level advisory lock, so two sessions never create one classifier twice).
    /// Returns every id and, separately, the ones created.
    public static func ids(
        for keys: Set<Key>, known: [Key: Int64], on connection: PostgresConnection
    ) throws -> (all: [Key: Int64], created: [Key: Int64]) {
        var all = known
        var created: [Key: Int64] = [:]
        let missing = keys.filter { all[$0] == nil }.sorted { "\($0)" < "\($1)" }
        guard !missing.isEmpty else { return (all, created) }
        try connection.advisoryTransactionLock(lockKey)
        let found = try connection.query(
            """
            SELECT c.classifier_id, c.brokername, c.brokerversion, c.classifiername, c.classifierparams
              FROM elasticc2_brokerclassifier c
              JOIN unnest(\(missing.map(\.brokerName))::text[], \(missing.map(\.brokerVersion))::text[],
                          \(missing.map(\.classifierName))::text[], \(missing.map(\.classifierParams))::text[]) AS k(b, v, n, p)
                ON c.brokername = k.b AND c.brokerversion IS NOT DISTINCT FROM k.v
               AND c.classifiername = k.n AND c.classifierparams IS NOT DISTINCT FROM k.p
             ORDER BY c.classifier_id
            """, statement: "find classifiers")
        for row in found.rows {
            let (id, brokerName, brokerVersion, classifierName, classifierParams) = try row.decode((Int64, String, String?, String, String?).self)
            let key = Key(
                brokerName: brokerName, brokerVersion: brokerVersion ?? "", classifierName: classifierName, classifierParams: classifierParams ?? "")
            if all[key] == nil { all[key] = id }
        }
        for key in missing where all[key] == nil {
            let id = try connection.query(
                """
                INSERT INTO elasticc2_brokerclassifier (brokername, brokerversion, classifiername, classifierparams, modified)
                VALUES (\(key.brokerName), \(key.brokerVersion), \(key.classifierName), \(key.classifierParams), now()) RETURNING classifier_id
                """, statement: "create classifier"
            ).single(Int64.self)
            all[key] = id
            created[key] = id
        }
        return (all, created)
    }
}

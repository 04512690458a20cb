import Postgres
import TOMDatabase

/// The counts an operator wants to see at a glance.
public struct PPDBStatistics: Sendable, Equatable {
    public var objects: Int64
    public var ddfObjects: Int64
    public var sources: Int64
    public var forcedSources: Int64
    public var alerts: Int64
    public var alertsSent: Int64
    /// The greatest `midpointtai` among sent alerts: the simulated date reached.
    public var simulatedDateReached: Double?
    public var truthRows: Int64
    public var brokerMessages: Int64
    public var messagesPerClassifier: [(classifier: String, messages: Int64)]

    public var alertsUnsent: Int64 { alerts - alertsSent }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.objects == rhs.objects && lhs.sources == rhs.sources && lhs.forcedSources == rhs.forcedSources
            && lhs.alerts == rhs.alerts && lhs.alertsSent == rhs.alertsSent && lhs.truthRows == rhs.truthRows
            && lhs.brokerMessages == rhs.brokerMessages && lhs.simulatedDateReached == rhs.simulatedDateReached
            && lhs.messagesPerClassifier.map(\.classifier) == rhs.messagesPerClassifier.map(\.classifier)
            && lhs.messagesPerClassifier.map(\.messages) == rhs.messagesPerClassifier.map(\.messages)
    }

    public static func read(_ connection: PostgresConnection) throws -> PPDBStatistics {
        let counts = try connection.query(
            """
            SELECT (SELECT count(*) FROM elasticc2_ppdbdiaobject),
                   (SELECT count(*) FROM elasticc2_ppdbdiaobject WHERE isddf),
                   (SELECT count(*) FROM elasticc2_ppdbdiasource),
                   (SELECT count(*) FROM elasticc2_ppdbdiaforcedsource),
                   (SELECT count(*) FROM elasticc2_ppdbalert),
                   (SELECT count(*) FROM elasticc2_ppdbalert WHERE alertsenttimestamp IS NOT NULL),
                   (SELECT max(s.midpointtai) FROM elasticc2_ppdbalert a
                      JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
                     WHERE a.alertsenttimestamp IS NOT NULL),
                   (SELECT count(*) FROM elasticc2_diaobjecttruth),
                   (SELECT count(*) FROM elasticc2_brokermessage)
            """, statement: "ppdb statistics")
        let perClassifier = try connection.query(
            """
            SELECT c.brokername || ' ' || coalesce(c.brokerversion, '') || ' ' || c.classifiername || ' ' || coalesce(c.classifierparams, ''),
                   count(m.brokermessage_id)
              FROM elasticc2_brokerclassifier c
              LEFT JOIN elasticc2_brokermessage m ON m.classifier_id = c.classifier_id
             GROUP BY c.classifier_id ORDER BY c.classifier_id
            """, statement: "messages per classifier")
        let (objects, ddfObjects, sources, forcedSources, alerts, alertsSent, reached, truthRows, brokerMessages) = try counts.single(
            (Int64, Int64, Int64, Int64, Int64, Int64, Double?, Int64, Int64).self)
        return PPDBStatistics(
            objects: objects, ddfObjects: ddfObjects, sources: sources, forcedSources: forcedSources, alerts: alerts, alertsSent: alertsSent,
            simulatedDateReached: reached, truthRows: truthRows, brokerMessages: brokerMessages,
            messagesPerClassifier: try perClassifier.rows.map { row in
                let (classifier, messages) = try row.decode((String?, Int64).self)
                return (classifier ?? "", messages)
            })
    }

    /// Clears `alertsenttimestamp` on every alert, as the TOM's tests do; returns the alerts changed.
    @discardableResult
    public static func resetSent(_ connection: PostgresConnection) throws -> Int {
        try connection.query(
            "UPDATE elasticc2_ppdbalert SET alertsenttimestamp = NULL WHERE alertsenttimestamp IS NOT NULL",
            statement: "reset sent alerts"
        ).affectedRows
    }
}

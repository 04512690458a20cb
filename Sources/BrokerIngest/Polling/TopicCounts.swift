/// What one batch did with one topic's messages.
struct TopicCounts: Sendable, Equatable {
    var stored = 0
    var alreadyStored = 0
    var deadLetters = 0

    static func + (lhs: TopicCounts, rhs: TopicCounts) -> TopicCounts {
        TopicCounts(
            stored: lhs.stored + rhs.stored, alreadyStored: lhs.alreadyStored + rhs.alreadyStored, deadLetters: lhs.deadLetters + rhs.deadLetters)
    }
}

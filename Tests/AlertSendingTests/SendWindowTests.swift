import AlertSending
import Testing

@Suite("Send window arithmetic (the TOM's rules)")
struct SendWindowTests {
    @Test("-d sends through the day, from --start-day when given")
    func throughDay() {
        #expect(
            SendWindow.compute(mode: .throughDay(60578), startDay: nil, latestSent: 60600, firstAlert: 60500)
                == SendWindow(start: nil, through: 60578))
        #expect(
            SendWindow.compute(mode: .throughDay(60578), startDay: 60570, latestSent: nil, firstAlert: nil)
                == SendWindow(start: 60570, through: 60578))
    }

    @Test("-a with nothing sent starts a day before the first alert")
    func addedDaysFromScratch() {
        let window = SendWindow.compute(mode: .addedDays(3), startDay: nil, latestSent: nil, firstAlert: 60560.3)
        #expect(window.start == 60559.3)
        #expect(window.through == 60559 + 3 + 0.5)
    }

    @Test("-a continues from the latest alert sent; a later --start-day wins")
    func addedDaysContinues() {
        #expect(
            SendWindow.compute(mode: .addedDays(1), startDay: nil, latestSent: 60578.7, firstAlert: 60500)
                == SendWindow(start: 60578.7, through: 60579 + 1 + 0.5))
        #expect(
            SendWindow.compute(mode: .addedDays(1), startDay: 60590.2, latestSent: 60578.7, firstAlert: 60500)
                == SendWindow(start: 60590.2, through: 60590 + 1 + 0.5))
        #expect(
            SendWindow.compute(mode: .addedDays(1), startDay: 60570, latestSent: 60578.4, firstAlert: 60500)
                == SendWindow(start: 60578.4, through: 60578 + 1 + 0.5))
    }

    @Test("Two -a runs in a row advance night by night")
    func twoRunsInARow() {
        let first = SendWindow.compute(mode: .addedDays(1), startDay: 60578.2, latestSent: nil, firstAlert: 60500)
        #expect(first.through == 60579.5)
        // The first run sent alerts up to 60579.4; the next run starts there.
        let second = SendWindow.compute(mode: .addedDays(1), startDay: nil, latestSent: 60579.4, firstAlert: 60500)
        #expect(second == SendWindow(start: 60579.4, through: 60580.5))
    }
}

/// What a `PriorityHeap` orders by: `a` comes out before `b` when `comesFirst(a, b)`.
protocol HeapOrdered {
    static func comesFirst(_ a: Self, _ b: Self) -> Bool
}

/// A binary heap (an array, children of i at 2i+1 and 2i+2): the merge queue of BPE
/// encoding and the pair queue of BPE training. Generic over a protocol, not a closure, so
/// each use is specialised and the comparisons inline.
struct PriorityHeap<Element: HeapOrdered> {
    private var entries: [Element] = []

    var isEmpty: Bool { entries.isEmpty }

    mutating func push(_ element: Element) {
        entries.append(element)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Element.comesFirst(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard let first = entries.first else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var top = parent
                if left < entries.count, Element.comesFirst(entries[left], entries[top]) { top = left }
                if right < entries.count, Element.comesFirst(entries[right], entries[top]) { top = right }
                if top == parent { break }
                entries.swapAt(parent, top)
                parent = top
            }
        }
        return first
    }
}

extension String {
    /// Calls `body` with the string's UTF-8.
    ///
    /// A native string lends its UTF-8 in place (a copy to call `withUTF8` on would cost a retain and a release); a
    /// small (inline) string has no storage to lend and is read from a stack copy, which costs nothing
    /// (`withContiguousStorageIfAvailable` alone made every short key and value cost an allocation).
    @inlinable @inline(__always)
    public func withUTF8InPlace(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if self.utf8.withContiguousStorageIfAvailable(body) != nil { return }
        var string = self
        string.withUTF8(body)
    }
}

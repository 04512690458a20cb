extension Float {
    /// The double a TOM script gets for a `real` column: psycopg2 reads the text PostgreSQL prints
    /// (the shortest decimal that gives the float back), so its Python float is that decimal's
    /// nearest double, not the float's exact value. The TOM's computations start from these.
    var asPrintedDouble: Double { Double(description) ?? Double(self) }
}

/// The fixed word lists the name rules use. Upper-case ASCII, after folding.
enum NameVocabulary {
    static let titleSet = WordSet(titles)
    static let suffixSet = WordSet(suffixes)
    static let particleSet = WordSet(particles)

    /// Titles, removed from the front of the forenames (or of a whole name).
    static let titles: Set<String> = [
        "MR", "MRS", "MISS", "MS", "MX", "MSTR", "MASTER", "DR", "DOCTOR", "PROF", "PROFESSOR",
        "REV", "REVD", "REVEREND", "FR", "FATHER", "SR", "SISTER", "SIR", "DAME", "LORD", "LADY",
        "CAPT", "CAPTAIN", "COL", "MAJ", "LT", "SGT", "CLLR", "HON", "RT", "RABBI", "IMAM", "SHEIKH",
    ]

    /// Suffixes, removed from the end of the forenames or surname.
    static let suffixes: Set<String> = [
        "JR", "JNR", "JUNIOR", "SR", "SNR", "SENIOR", "II", "III", "IV",
        "OBE", "MBE", "CBE", "KBE", "DBE", "QC", "KC", "MP", "PHD", "MD", "BSC", "MSC",
    ]

    /// Surname particles. One rule for all of them: they stay in the whole surname ("VANDERBERG") and
    /// are left out of its parts (["BERG"]), so "van der Berg", "Vanderberg" and "Berg" can all be
    /// compared sensibly. A particle that is the whole surname ("Le") is kept as the surname.
    static let particles: Set<String> = [
        "VAN", "VON", "DER", "DEN", "DE", "DEL", "DELA", "LA", "DA", "DAS", "DOS", "DU", "DI", "LE",
        "ST", "AL", "EL", "BIN", "BINTI", "BINT", "BEN", "ABU", "UL", "MAC", "TER", "TEN", "Y",
    ]

    /// The NATO spelling alphabet (both spellings of ALFA and JULIETT).
    static let natoAlphabet: Set<String> = [
        "ALFA", "ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOXTROT", "GOLF", "HOTEL", "INDIA",
        "JULIET", "JULIETT", "KILO", "LIMA", "MIKE", "NOVEMBER", "OSCAR", "PAPA", "QUEBEC", "ROMEO",
        "SIERRA", "TANGO", "UNIFORM", "VICTOR", "WHISKEY", "WHISKY", "XRAY", "YANKEE", "ZULU",
    ]

    static let unknownWords: Set<String> = ["UNKNOWN", "UNK", "UNKN", "UNNAMED", "NONAME", "NOTKNOWN", "NK", "ANON", "ANONYMOUS"]
    static let unknownPhrases: [[String]] = [["NOT", "KNOWN"], ["NO", "NAME"], ["NOT", "STATED"], ["NOT", "GIVEN"]]
    static let newbornWords: Set<String> = ["BABY", "BABYBOY", "BABYGIRL", "INFANT", "NEWBORN", "BB", "BG"]
    static let multipleBirthWords: Set<String> = ["TWIN", "TRIPLET", "QUAD", "QUADRUPLET"]
    static let sexWords: Set<String> = ["MALE", "FEMALE", "BOY", "GIRL"]
    static let testWords: Set<String> = ["TEST", "TESTPATIENT", "DUMMY", "PATIENT", "XXTEST", "ZZTEST", "TESTING"]
}

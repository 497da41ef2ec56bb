import MPICore
import MPINormalize
import MPITestSupport
import Testing

@Suite struct NameNormalizerTests {
    let names = NameNormalizer(folding: LatinFolding(transliterator: try! Transliterator()))

    @Test(arguments: [
        ("Zoë", "ZOE"), ("Łukasz", "LUKASZ"), ("Müller", "MULLER"), ("José", "JOSE"), ("Ångström", "ANGSTROM"),
        ("Дмитрий", "DMITRIJ"), ("Søren", "SOREN"), ("Straße", "STRASSE"), ("ＪＯＨＮ", "JOHN"), ("Ĳsbrand", "IJSBRAND"),
    ])
    func foldsToUpperCaseLatinASCII(raw: String, expected: String) {
        #expect(names.normalize(.separate(given: raw, family: "")).given == expected)
    }

    @Test func repairsMojibakeBeforeFolding() {
        #expect(names.normalize(.separate(given: "ZoÃ«", family: "Ã…ngstrÃ¶m")) == PersonName(given: "ZOE", family: "ANGSTROM"))
        #expect(names.normalize(.separate(given: "", family: "Oâ€™Brien")).family == "OBRIEN")
    }

    @Test(arguments: ["O'Brien", "O’Brien", "O Brien", "OBrien", "o'brien"])
    func apostrophesJoin(raw: String) {
        let family = names.normalize(.separate(given: "", family: raw)).family
        // "O Brien" with a space is two words that join in the whole surname too.
        #expect(family == "OBRIEN")
    }

    @Test func spacesControlCharactersAndNonBreakingSpaces() {
        let name = names.normalize(.separate(given: "  Mary\u{00A0}\u{00A0}Ann\t", family: "Smith\u{0007}"))
        #expect(name == PersonName(given: "MARY", middle: ["ANN"], family: "SMITH"))
    }

    @Test func familyFirstLayout() {
        let name = names.normalize(.familyFirst("SMITH, John Paul"))
        #expect(name == PersonName(given: "JOHN", middle: ["PAUL"], family: "SMITH"))
    }

    @Test func givenFirstLayout() {
        #expect(names.normalize(.givenFirst("John Paul Smith")) == PersonName(given: "JOHN", middle: ["PAUL"], family: "SMITH"))
        // A single-column name without a comma is read given-first even when the source says family-first.
        #expect(names.normalize(.familyFirst("John Smith")) == PersonName(given: "JOHN", family: "SMITH"))
    }

    @Test(arguments: [
        ("Mr John Smith", "JOHN", "SMITH"), ("Dr. Ravi Patel", "RAVI", "PATEL"), ("MRS JANE DOE", "JANE", "DOE"),
        ("Prof Sir Alan Jones", "ALAN", "JONES"), ("Rev'd Mark Hill", "MARK", "HILL"), ("Mx Sam Lee", "SAM", "LEE"),
        ("John Smith Jr", "JOHN", "SMITH"), ("John Smith III", "JOHN", "SMITH"), ("Robert Jones Snr.", "ROBERT", "JONES"),
    ])
    func titlesAndSuffixesRemoved(raw: String, given: String, family: String) {
        let name = names.normalize(.givenFirst(raw))
        #expect(name.given == given)
        #expect(name.family == family)
    }

    @Test func titleInsideFamilyFirstForenames() {
        #expect(names.normalize(.familyFirst("PATEL, Dr Ravi")).given == "RAVI")
        #expect(names.normalize(.familyFirst("JONES, Robert, Jr")) == PersonName(given: "ROBERT", family: "JONES"))
    }

    @Test func aTitleWordThatIsTheWholeNameIsKept() {
        #expect(names.normalize(.separate(given: "", family: "Lord")).family == "LORD")
    }

    @Test func doubleBarrelledSurnamesKeptWholeAndAsParts() {
        let hyphenated = names.normalize(.separate(given: "Anna", family: "Smith-Jones"))
        #expect(hyphenated.family == "SMITHJONES")
        #expect(hyphenated.familyParts == ["SMITH", "JONES"])
        let spaced = names.normalize(.givenFirst("Anna Smith-Jones"))
        #expect(spaced.family == "SMITHJONES")
        #expect(spaced.given == "ANNA")
    }

    @Test func particlesStayInTheWholeSurnameAndLeaveTheParts() {
        let vanDerBerg = names.normalize(.givenFirst("Jan van der Berg"))
        #expect(vanDerBerg == PersonName(given: "JAN", family: "VANDERBERG", familyParts: ["BERG"]))
        #expect(names.normalize(.separate(given: "", family: "De La Cruz")).familyParts == ["CRUZ"])
        #expect(names.normalize(.separate(given: "", family: "Al-Hassan")).familyParts == ["HASSAN"])
        #expect(names.normalize(.separate(given: "", family: "bin Laden")).familyParts == ["LADEN"])
        // A particle that is the whole surname stays the surname.
        #expect(names.normalize(.separate(given: "Anne", family: "Le")) == PersonName(given: "ANNE", family: "LE"))
    }

    @Test func hyphenatedForenameIsOneForename() {
        #expect(names.normalize(.separate(given: "Mary-Jane", family: "Watson")).given == "MARYJANE")
    }

    @Test(arguments: [
        ("UNKNOWN", "UNKNOWN", PlaceholderName.unknown), ("Not Known", "Smith", .unknown), ("", "UNNAMED", .unknown),
        ("Baby", "Khan", .unnamedNewborn), ("Baby of Jane", "Smith", .unnamedNewborn), ("Baby Girl", "Okafor", .unnamedNewborn),
        ("Twin 1", "Patel", .multipleBirth), ("Twin B", "Patel", .multipleBirth), ("Male", "Unknown", .unknown),
        ("Female", "Smith", .sexOnly), ("Foxtrot", "Whisky", .emergencyAlias), ("Alpha", "Bravo", .emergencyAlias),
        ("Test", "Patient", .testRecord), ("Dummy", "Record", .testRecord), ("XX", "Smith", .filler), ("John", "ZZZ", .filler),
    ])
    func placeholdersAreMarkedNonInformative(given: String, family: String, kind: PlaceholderName) {
        let name = names.normalize(.separate(given: given, family: family))
        #expect(name.placeholder == kind)
        #expect(!name.isInformative)
    }

    @Test(arguments: [("Victor", "Smith"), ("Oscar", "Wilde"), ("Juliet", "Brown"), ("M", "Smith"), ("Babak", "Ahmadi"),
                      ("Tessa", "Test"), ("Lima", "Garcia")])
    func realNamesAreNotPlaceholders(given: String, family: String) {
        #expect(names.normalize(.separate(given: given, family: family)).placeholder == nil)
    }
}

@Suite struct ForenameVariantTests {
    let variants = ForenameVariants(groups: [
        "ROBERT": ["BOB", "ROB", "ROBBIE", "BILL"], "WILLIAM": ["BILL", "WILL"], "ELIZABETH": ["LIZ", "BETH", "BETTY"],
    ])

    @Test func sharedGroups() {
        #expect(variants.areVariants("BOB", "ROBBIE"))
        #expect(variants.areVariants("BOB", "ROBERT"))
        #expect(variants.areVariants("BILL", "WILL"))
        #expect(variants.areVariants("BILL", "BOB"))   // BILL is in both groups
        #expect(!variants.areVariants("WILL", "BOB"))
        #expect(!variants.areVariants("LIZ", "ROBERT"))
        #expect(!variants.areVariants("NOBODY", "NOBODY"))
        #expect(variants.groups(of: "BILL").sorted() == ["ROBERT", "WILLIAM"])
    }

    @Test func parsesTheShippedFormat() throws {
        let parsed = try ForenameVariants(csv: "group,name\nMARGARET,PEGGY\nMARGARET,MEG\n")
        #expect(parsed.areVariants("PEGGY", "MARGARET"))
        #expect(parsed.areVariants("PEGGY", "MEG"))
        #expect(throws: Rejection.self) { try ForenameVariants(csv: "group,name\nMARGARET\n") }
    }

    /// The groups the NHS-demographics defaults rely on are in the shipped file.
    @Test(arguments: [("BOB", "ROBERT"), ("ROB", "ROBERT"), ("ROBBIE", "ROBERT"), ("LIZ", "ELIZABETH"), ("BETH", "ELIZABETH"),
                      ("BETTY", "ELIZABETH"), ("BILL", "WILLIAM"), ("WILL", "WILLIAM"), ("PEGGY", "MARGARET"),
                      ("MOHAMMED", "MUHAMMAD"), ("MOHAMED", "MOHAMMAD"), ("MOHAMAD", "MUHAMMAD"), ("STEVEN", "STEPHEN")])
    func shippedFileHasTheCommonGroups(nickname: String, name: String) throws {
        let shipped = try ForenameVariants(csv: Fixtures.dataFile("forename-variants.csv"))
        #expect(shipped.areVariants(nickname, name))
    }
}

/// The TOM's tables beyond the PPDB and the broker tables: the objects, sources and forced
/// sources brokers answered for (filled by `ppdb update-sources`), per-object filter summaries,
/// spectrum coordination, class-id maps, and Django's users and groups (for `elasticc-api`),
/// each exactly as the TOM's Django migrations create it.
extension TOMSchema {
    private static func unique(_ table: String, _ name: String, _ columns: String) -> String {
        "ALTER TABLE ONLY public.\(table) ADD CONSTRAINT \(name) UNIQUE (\(columns))"
    }

    private static func pattern(_ name: String, on table: String, _ column: String, _ operators: String) -> (String, String) {
        (name, "CREATE INDEX \(name) ON public.\(table) USING btree (\(column) \(operators))")
    }

    private static let objectInfoGroups = ["firstsource", "maxforcedsource", "latestsource", "latestforcedsource"]

    /// In dependency order, like `tables`.
    public static let objectTables: [Table] = [
        Table(
            name: "elasticc2_diaobject",
            creation: table(
                "elasticc2_diaobject",
                diaObjectColumns,
                primaryKey: "diaobject_id"),
            indexes: []),
        Table(
            name: "elasticc2_diasource",
            creation: table(
                "elasticc2_diasource",
                diaSourceColumns, primaryKey: "diasource_id"),
            indexes: [
                btree("elasticc2_diasource_diaobject_id_597363da", on: "elasticc2_diasource", "diaobject_id"),
                btree("\"elasticc2_diasource_midPointTai_f4168933\"", on: "elasticc2_diasource", "midpointtai"),
            ]),
        Table(
            name: "elasticc2_diaforcedsource",
            creation: table(
                "elasticc2_diaforcedsource",
                diaForcedSourceColumns, primaryKey: "diaforcedsource_id"),
            indexes: [
                btree("elasticc2_diaforcedsource_diaobject_id_8de7d36e", on: "elasticc2_diaforcedsource", "diaobject_id"),
                btree("\"elasticc2_diaforcedsource_midPointTai_b15bb818\"", on: "elasticc2_diaforcedsource", "midpointtai"),
            ]),
        Table(
            name: "elasticc2_diaobjectinfo",
            creation: table(
                "elasticc2_diaobjectinfo",
                ["_id bigint NOT NULL", "filtername text NOT NULL"]
                    + objectInfoGroups.flatMap { group in
                        ["\(group)_id bigint", "\(group)flux double precision", "\(group)fluxerr double precision", "\(group)mjd double precision"]
                    } + ["diaobject_id bigint NOT NULL"],
                primaryKey: "_id", identitySequence: "elasticc2_diaobjectinfo__id_seq")
                + [unique("elasticc2_diaobjectinfo", "diaobjectinfo_unique", "diaobject_id, filtername")],
            indexes: [
                btree("elasticc2_diaobjectinfo_diaobject_id_b7461c4c", on: "elasticc2_diaobjectinfo", "diaobject_id"),
                btree("elasticc2_diaobjectinfo_filtername_f0229018", on: "elasticc2_diaobjectinfo", "filtername"),
                pattern("elasticc2_diaobjectinfo_filtername_f0229018_like", on: "elasticc2_diaobjectinfo", "filtername", "text_pattern_ops"),
                btree("elasticc2_diaobjectinfo_firstsource_id_9f2ae42c", on: "elasticc2_diaobjectinfo", "firstsource_id"),
                btree("elasticc2_diaobjectinfo_firstsourcemjd_5527002c", on: "elasticc2_diaobjectinfo", "firstsourcemjd"),
                btree("elasticc2_diaobjectinfo_latestforcedsource_id_d8df0960", on: "elasticc2_diaobjectinfo", "latestforcedsource_id"),
                btree("elasticc2_diaobjectinfo_latestforcedsourceflux_mjd_f8d02000", on: "elasticc2_diaobjectinfo", "latestforcedsourcemjd"),
                btree("elasticc2_diaobjectinfo_latestsource_id_22b15a34", on: "elasticc2_diaobjectinfo", "latestsource_id"),
                btree("elasticc2_diaobjectinfo_latestsourceflux_mjd_ca91eca5", on: "elasticc2_diaobjectinfo", "latestsourcemjd"),
                btree("elasticc2_diaobjectinfo_maxforcedsource_id_98817633", on: "elasticc2_diaobjectinfo", "maxforcedsource_id"),
                btree("elasticc2_diaobjectinfo_maxforcedsourceflux_mjd_523f08e6", on: "elasticc2_diaobjectinfo", "maxforcedsourcemjd"),
            ]),
        Table(
            name: "elasticc2_importppdbrunning",
            creation: table(
                "elasticc2_importppdbrunning", ["id bigint NOT NULL", "running boolean NOT NULL"], primaryKey: "id",
                identitySequence: "elasticc2_importppdbrunning_id_seq")
                // The single row the TOM's migration 0019 seeds.
                + ["INSERT INTO public.elasticc2_importppdbrunning (running) VALUES (false)"],
            indexes: []),
        Table(
            name: "auth_user",
            creation: table(
                "auth_user",
                [
                    "id integer NOT NULL", "password character varying(128) NOT NULL", "last_login timestamp with time zone",
                    "is_superuser boolean NOT NULL", "username character varying(150) NOT NULL", "first_name character varying(150) NOT NULL",
                    "last_name character varying(150) NOT NULL", "email character varying(254) NOT NULL", "is_staff boolean NOT NULL",
                    "is_active boolean NOT NULL", "date_joined timestamp with time zone NOT NULL",
                ], primaryKey: "id", identitySequence: "auth_user_id_seq")
                + [unique("auth_user", "auth_user_username_key", "username")],
            indexes: [pattern("auth_user_username_6821ab7c_like", on: "auth_user", "username", "varchar_pattern_ops")]),
        Table(
            name: "auth_group",
            creation: table(
                "auth_group", ["id integer NOT NULL", "name character varying(150) NOT NULL"], primaryKey: "id",
                identitySequence: "auth_group_id_seq")
                + [unique("auth_group", "auth_group_name_key", "name")],
            indexes: [pattern("auth_group_name_a6ea08ec_like", on: "auth_group", "name", "varchar_pattern_ops")]),
        Table(
            name: "auth_user_groups",
            creation: table(
                "auth_user_groups", ["id bigint NOT NULL", "user_id integer NOT NULL", "group_id integer NOT NULL"], primaryKey: "id",
                identitySequence: "auth_user_groups_id_seq")
                + [unique("auth_user_groups", "auth_user_groups_user_id_group_id_94350c0c_uniq", "user_id, group_id")],
            indexes: [
                btree("auth_user_groups_group_id_97559544", on: "auth_user_groups", "group_id"),
                btree("auth_user_groups_user_id_6a12ed8b", on: "auth_user_groups", "user_id"),
            ]),
        Table(
            name: "elasticc2_wantedspectra",
            creation: table(
                "elasticc2_wantedspectra",
                [
                    "wantspec_id text NOT NULL", "wanttime timestamp with time zone NOT NULL", "requester text", "priority integer NOT NULL",
                    "diaobject_id bigint NOT NULL", "user_id integer NOT NULL",
                ], primaryKey: "wantspec_id"),
            indexes: [
                btree("elasticc2_wantedspectra_diaobject_id_8522ba1c", on: "elasticc2_wantedspectra", "diaobject_id"),
                btree("elasticc2_wantedspectra_user_id_980c5f84", on: "elasticc2_wantedspectra", "user_id"),
                pattern("elasticc2_wantedspectra_wantspec_id_c8fb3d61_like", on: "elasticc2_wantedspectra", "wantspec_id", "text_pattern_ops"),
                btree("elasticc2_wantedspectra_wanttime_f859bb96", on: "elasticc2_wantedspectra", "wanttime"),
            ]),
        Table(
            name: "elasticc2_plannedspectra",
            creation: table(
                "elasticc2_plannedspectra",
                [
                    "reqspec_id integer NOT NULL", "facility text NOT NULL", "created_at timestamp with time zone NOT NULL",
                    "plantime timestamp with time zone", "comment text NOT NULL", "diaobject_id bigint NOT NULL",
                ], primaryKey: "reqspec_id", identitySequence: "elasticc2_plannedspectra_reqspec_id_seq"),
            indexes: [btree("elasticc2_plannedspectra_diaobject_id_e71a74b4", on: "elasticc2_plannedspectra", "diaobject_id")]),
        Table(
            name: "elasticc2_spectruminfo",
            creation: table(
                "elasticc2_spectruminfo",
                [
                    "specinfo_id integer NOT NULL", "facility text", "inserted_at timestamp with time zone NOT NULL", "mjd real NOT NULL",
                    "z real", "classid integer", "diaobject_id bigint NOT NULL",
                ], primaryKey: "specinfo_id", identitySequence: "elasticc2_spectruminfo_specinfo_id_seq"),
            indexes: [
                btree("elasticc2_spectruminfo_classid_853e0428", on: "elasticc2_spectruminfo", "classid"),
                btree("elasticc2_spectruminfo_diaobject_id_6455abf1", on: "elasticc2_spectruminfo", "diaobject_id"),
                btree("elasticc2_spectruminfo_mjd_1d6702e8", on: "elasticc2_spectruminfo", "mjd"),
            ]),
        Table(
            name: "elasticc2_gentypeofclassid",
            creation: table(
                "elasticc2_gentypeofclassid",
                ["id integer NOT NULL", "classid integer NOT NULL", "gentype integer", "description text NOT NULL"], primaryKey: "id",
                identitySequence: "elasticc2_gentypeofclassid_id_seq")
                + [unique("elasticc2_gentypeofclassid", "elasticc2_gentypeofclassid_gentype_key", "gentype")],
            indexes: [btree("\"elasticc2_gentypeofclassid_classId_360c212d\"", on: "elasticc2_gentypeofclassid", "classid")]),
        Table(
            name: "elasticc2_classidofgentype",
            creation: table(
                "elasticc2_classidofgentype",
                [
                    "id integer NOT NULL", "gentype integer NOT NULL", "classid integer NOT NULL", "exactmatch boolean NOT NULL",
                    "categorymatch boolean NOT NULL", "description text NOT NULL", "broadmatch boolean NOT NULL", "generalmatch boolean NOT NULL",
                ], primaryKey: "id", identitySequence: "elasticc2_classidofgentype_id_seq"),
            indexes: [
                btree("\"elasticc2_classidofgentype_classId_d9bc42be\"", on: "elasticc2_classidofgentype", "classid"),
                btree("elasticc2_classidofgentype_gentype_ba780fa7", on: "elasticc2_classidofgentype", "gentype"),
            ]),
    ]

    private static func deferred(_ column: String, _ target: String) -> String {
        "FOREIGN KEY (\(column)) REFERENCES public.\(target) DEFERRABLE INITIALLY DEFERRED"
    }

    /// Foreign keys among these tables, by constraint name; added when missing.
    public static let objectForeignKeys: [(name: String, table: String, definition: String)] = [
        (
            "elasticc2_diasource_diaobject_id_597363da_fk_elasticc2", "elasticc2_diasource",
            deferred("diaobject_id", "elasticc2_diaobject(diaobject_id)")
        ),
        (
            "elasticc2_diaforceds_diaobject_id_8de7d36e_fk_elasticc2", "elasticc2_diaforcedsource",
            deferred("diaobject_id", "elasticc2_diaobject(diaobject_id)")
        ),
        (
            "elasticc2_diaobjecti_diaobject_id_b7461c4c_fk_elasticc2", "elasticc2_diaobjectinfo",
            deferred("diaobject_id", "elasticc2_diaobject(diaobject_id)")
        ),
        ("auth_user_groups_group_id_97559544_fk_auth_group_id", "auth_user_groups", deferred("group_id", "auth_group(id)")),
        ("auth_user_groups_user_id_6a12ed8b_fk_auth_user_id", "auth_user_groups", deferred("user_id", "auth_user(id)")),
        (
            "elasticc2_wantedspec_diaobject_id_8522ba1c_fk_elasticc2", "elasticc2_wantedspectra",
            deferred("diaobject_id", "elasticc2_diaobject(diaobject_id)")
        ),
        ("elasticc2_wantedspectra_user_id_980c5f84_fk_auth_user_id", "elasticc2_wantedspectra", deferred("user_id", "auth_user(id)")),
        (
            "elasticc2_plannedspe_diaobject_id_e71a74b4_fk_elasticc2", "elasticc2_plannedspectra",
            deferred("diaobject_id", "elasticc2_diaobject(diaobject_id)")
        ),
        (
            "elasticc2_spectrumin_diaobject_id_6455abf1_fk_elasticc2", "elasticc2_spectruminfo",
            deferred("diaobject_id", "elasticc2_diaobject(diaobject_id)")
        ),
    ]

    /// Sky-position indexes on the TOM's object tables (q3c).
    public static let objectQ3CIndexes: [(name: String, definition: String)] = [
        (
            "idx_elasticc2_diaobject_q3c",
            "CREATE INDEX idx_elasticc2_diaobject_q3c ON public.elasticc2_diaobject USING btree (public.q3c_ang2ipix(ra, decl))"
        ),
        (
            "idx_elasticc2_diasource_q3c",
            "CREATE INDEX idx_elasticc2_diasource_q3c ON public.elasticc2_diasource USING btree (public.q3c_ang2ipix(ra, decl))"
        ),
    ]
}

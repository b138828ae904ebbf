//! The Mexican monthly routine through the binary, on SQLite and PostgreSQL:
//! January's CFDI, then February's download with the payments and the credit
//! note for January's invoices, give exactly what importing everything at once
//! gives; again changes nothing; the same from a `.zip`; the SAT's metadata
//! marks cancelled CFDI, which are not owed.

mod common;

use katalis::store::{AnyStore, Store};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{book as fixture, katalis, refused as err, report_json as report, stderr_ok as ok};

const RFC: &str = "TLA010101AB1";

/// A company with the canonical financials, so reports have an as-of month.
fn company(url: &str, name: &str) {
    let fin = fixture("financials-canonical.csv");
    ok(&katalis(
        url,
        &[
            "import",
            "financials",
            fin.to_str().unwrap(),
            "--company",
            name,
            "--create",
            "--currency",
            "MXN",
        ],
    ));
}

fn cfdi(url: &str, name: &str, paths: &[&Path], extra: &[&str]) -> Output {
    let mut args: Vec<&str> = vec!["import", "cfdi"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--company", name, "--rfc", RFC]);
    args.extend(extra);
    katalis(url, &args)
}

async fn invoices(store: &AnyStore, name: &str) -> Vec<katalis::domain::Invoice> {
    let id = store.company(name).await.unwrap().id;
    let mut v = store.invoices(id).await.unwrap();
    v.sort_by(|a, b| a.number.cmp(&b.number));
    v
}

/// February's download as the SAT gives it: one zip of XML (in folders).
fn zip_of(dirs: &[PathBuf], out: &Path, metadata: Option<&str>) {
    let f = std::fs::File::create(out).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for d in dirs {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            let name = format!("sat/{}", p.file_name().unwrap().to_string_lossy());
            z.start_file(name, opts).unwrap();
            z.write_all(&std::fs::read(&p).unwrap()).unwrap();
        }
    }
    if let Some(m) = metadata {
        z.start_file("sat/metadata.txt", opts).unwrap();
        z.write_all(m.as_bytes()).unwrap();
    }
    z.finish().unwrap();
}

const HEADER: &str = "Uuid~RfcEmisor~NombreEmisor~RfcReceptor~NombreReceptor~RfcPac~FechaEmision~FechaCertificacionSat~Monto~EfectoComprobante~Estatus~FechaCancelacion";

fn meta_line(uuid: &str, status: u8) -> String {
    format!(
        "{uuid}~{RFC}~Tallo SA~CNO990101AA1~Cliente~SAT970701NN3~2025-02-04 10:00:00~2025-02-04 10:01:00~23200.00~I~{status}~{}",
        if status == 0 { "2025-02-20 09:00:00" } else { "" }
    )
}

#[tokio::test]
async fn february_download_applies_to_januarys_invoices_exactly_as_one_import() {
    let jan = fixture("cfdi/ok/emitidas/2025-01");
    let feb = [
        fixture("cfdi/ok/emitidas/2025-02"),
        fixture("cfdi/ok/pagos"),
        fixture("cfdi/ok/recibidas"),
    ];
    let all = fixture("cfdi/ok");
    for ts in common::stores().await {
        let url = ts.url.as_str();
        for c in ["Once", "Monthly", "Zipped"] {
            company(url, c);
        }
        ok(&cfdi(url, "Once", &[&all], &[]));

        ok(&cfdi(url, "Monthly", &[&jan], &[]));
        let feb_refs: Vec<&Path> = feb.iter().map(PathBuf::as_path).collect();
        let said = ok(&cfdi(url, "Monthly", &feb_refs, &[]));
        assert!(
            said.contains("3 payments applied, 3 to invoices imported before"),
            "{said}"
        );
        let once = invoices(&ts.store, "Once").await;
        assert_eq!(invoices(&ts.store, "Monthly").await, once, "{}", ts.name);
        // A dollar invoice is open at June's end: its rate then.
        ok(&katalis(url, &["fx", "set", "2025-06-30", "USD/MXN", "18.5"]));
        assert_eq!(report(url, "Monthly"), report(url, "Once"), "{}", ts.name);

        // Again: each payment and credit note applied once; nothing changes.
        let before = serde_json::to_value(invoices(&ts.store, "Monthly").await).unwrap();
        let said = ok(&cfdi(url, "Monthly", &feb_refs, &[]));
        assert!(said.contains("imported before and are applied once"), "{said}");
        ok(&cfdi(url, "Monthly", &[&jan], &[]));
        ok(&cfdi(url, "Monthly", &[&all], &[]));
        assert_eq!(
            serde_json::to_value(invoices(&ts.store, "Monthly").await).unwrap(),
            before
        );

        // The kept CFDI travel in a backup: restored, a re-import still changes nothing.
        let backup = ts.store.backup().await.unwrap();
        let kept: usize = backup.companies.iter().map(|c| c.cfdi.len()).sum();
        assert!(kept >= 10, "{}: {kept} kept CFDI rows in the backup", ts.name);
        let (_fresh_dir, fresh_url) = common::fresh_sqlite();
        let fresh = AnyStore::connect(&fresh_url).await.unwrap();
        fresh.restore(&backup).await.unwrap();
        assert_eq!(fresh.backup().await.unwrap(), backup, "{}", ts.name);
        ok(&cfdi(&fresh_url, "Monthly", &feb_refs, &[]));
        assert_eq!(invoices(&fresh, "Monthly").await, invoices(&ts.store, "Monthly").await);

        // The same from the SAT's zip, read without unpacking.
        let dir = tempfile::tempdir().unwrap();
        let (z1, z2) = (dir.path().join("enero.zip"), dir.path().join("febrero.zip"));
        zip_of(std::slice::from_ref(&jan), &z1, None);
        zip_of(&feb, &z2, None);
        ok(&cfdi(url, "Zipped", &[&z1], &[]));
        ok(&cfdi(url, "Zipped", &[&z2], &[]));
        assert_eq!(invoices(&ts.store, "Zipped").await, once, "{}", ts.name);
        // A folder of zips reads them all.
        company(url, "Folder");
        ok(&cfdi(url, "Folder", &[dir.path()], &[]));
        assert_eq!(invoices(&ts.store, "Folder").await, once, "{}", ts.name);
    }
}

#[tokio::test]
async fn cancelled_cfdi_are_not_owed_and_one_imported_before_is_removed() {
    let jan = fixture("cfdi/ok/emitidas/2025-01");
    let feb = [fixture("cfdi/ok/emitidas/2025-02"), fixture("cfdi/ok/pagos")];
    let a103 = "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E03";
    let a101 = "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E01";
    let p1 = "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E07";
    for ts in common::stores().await {
        let url = ts.url.as_str();
        company(url, "T");
        ok(&cfdi(url, "T", &[&jan], &[]));
        let id = ts.store.company("T").await.unwrap().id;
        let dir = tempfile::tempdir().unwrap();
        // February's metadata: A-103 (in this download) cancelled, the rest in force.
        let meta = format!("{HEADER}\n{}\n{}\n", meta_line(a103, 0), meta_line(a101, 1));
        let z = dir.path().join("feb.zip");
        zip_of(&feb, &z, Some(&meta));
        let said = ok(&cfdi(url, "T", &[&z], &[]));
        assert!(said.contains("1 cancelled"), "{said}");
        let numbers: Vec<String> = invoices(&ts.store, "T").await.into_iter().map(|i| i.number).collect();
        assert!(!numbers.contains(&"A-103".to_owned()), "{numbers:?}");
        assert!(numbers.contains(&"A-101".to_owned()), "{numbers:?}");

        // Later the SAT says A-101 (imported in January) and its payment were
        // cancelled: given with --metadata, A-101 is removed in the same transaction.
        let m2 = dir.path().join("metadata-marzo.txt");
        std::fs::write(&m2, format!("{HEADER}\n{}\n{}\n", meta_line(a101, 0), meta_line(p1, 0))).unwrap();
        let said = ok(&cfdi(url, "T", &[&z], &["--metadata", m2.to_str().unwrap()]));
        assert!(said.contains("removed invoice A-101"), "{said}");
        let numbers: Vec<String> = invoices(&ts.store, "T").await.into_iter().map(|i| i.number).collect();
        assert!(!numbers.contains(&"A-101".to_owned()), "{numbers:?}");
        let audit = ts.store.audit(Some(id), None).await.unwrap();
        assert!(
            audit.iter().any(|a| a.detail.contains("removed A-101")),
            "the audit trail says what was removed"
        );
    }
}

#[tokio::test]
async fn a_payment_for_an_unknown_invoice_is_refused_or_skipped_when_asked() {
    let bad = fixture("cfdi/bad/unknown-payment");
    for ts in common::stores().await {
        let url = ts.url.as_str();
        company(url, "U");
        let before = serde_json::to_string(&ts.store.backup().await.unwrap()).unwrap();
        let e = err(&cfdi(url, "U", &[&bad], &[]));
        assert!(
            e.contains("bad.xml: pago20:DoctoRelacionado/@IdDocumento \"00000000-0000-0000-0000-000000000000\": expected an invoice with this UUID in the import or the store"),
            "{e}"
        );
        assert_eq!(e.matches("bad.xml").count(), 1, "the file is named once: {e}");
        let after = serde_json::to_string(&ts.store.backup().await.unwrap()).unwrap();
        assert_eq!(before, after, "{}: a refused import wrote something", ts.name);

        let said = ok(&cfdi(url, "U", &[&bad], &["--skip-unknown"]));
        assert!(
            said.contains("skipped") && said.contains("00000000-0000-0000-0000-000000000000"),
            "{said}"
        );
        assert!(!invoices(&ts.store, "U").await.is_empty());
    }
}

#[tokio::test]
async fn a_zip_bomb_and_a_bad_metadata_file_are_refused_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.zip");
    {
        let f = std::fs::File::create(&bomb).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        z.start_file("big.xml", opts).unwrap();
        z.write_all(&vec![b' '; 17 * 1024 * 1024]).unwrap();
        z.finish().unwrap();
    }
    let meta = dir.path().join("meta.txt");
    std::fs::write(&meta, format!("{HEADER}\nABC~x~x~x~x~x~x~x~1~I~7~\n")).unwrap();
    for ts in common::stores().await {
        let url = ts.url.as_str();
        company(url, "B");
        let e = err(&cfdi(url, "B", &[&bomb], &[]));
        assert!(
            e.contains("bomb.zip/big.xml: file: expected an entry under 16 MiB"),
            "{e}"
        );
        let jan = fixture("cfdi/ok/emitidas/2025-01");
        let e = err(&cfdi(url, "B", &[&jan], &["--metadata", meta.to_str().unwrap()]));
        assert!(
            e.contains("meta.txt: line 2, Estatus \"7\": expected 1 (in force) or 0 (cancelled)"),
            "{e}"
        );
        let id = ts.store.company("B").await.unwrap().id;
        assert!(ts.store.invoices(id).await.unwrap().is_empty());
    }
}

/// A bank receipt equal to a payment a complement already applied (same
/// invoice, same amount, within 5 days) confirms it: proposed against the
/// complement, accepted by `--auto`, and the invoice is not paid twice.
#[tokio::test]
async fn a_receipt_confirms_a_payment_complement_instead_of_paying_twice() {
    let all = fixture("cfdi/ok");
    for ts in common::stores().await {
        let url = ts.url.as_str();
        company(url, "Tallo");
        ok(&cfdi(url, "Tallo", &[&all], &[]));
        let before = invoices(&ts.store, "Tallo").await;
        let dir = tempfile::tempdir().unwrap();
        let st = dir.path().join("feb.csv");
        std::fs::write(
            &st,
            "date,description,counterparty,amount\n\
             2025-02-13,SPEI RECIBIDO,COMERCIALIZADORA DEL NORTE,11600.00\n\
             2025-02-20,SPEI RECIBIDO,COMERCIALIZADORA DEL NORTE,11600.00\n",
        )
        .unwrap();
        ok(&katalis(
            url,
            &[
                "import",
                "statement",
                st.to_str().unwrap(),
                "--company",
                "Tallo",
                "--account",
                "BBVA",
                "--create-account",
            ],
        ));
        let auto: serde_json::Value = serde_json::from_str(&common::stdout_ok(&katalis(
            url,
            &["reconcile", "--auto", "--format", "json", "--company", "Tallo"],
        )))
        .unwrap();
        let accepted = auto["accepted"].as_array().unwrap();
        assert_eq!(accepted.len(), 1, "{}: {auto:#}", ts.name);
        assert_eq!(accepted[0]["date"], "2025-02-13");
        assert_eq!(accepted[0]["invoices"][0]["number"], "A-101", "{auto:#}");
        assert_eq!(
            accepted[0]["invoices"][0]["confirms"], "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E07",
            "{auto:#}"
        );
        // The second receipt confirms nothing more: the complement is taken.
        assert!(
            auto["proposed"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["invoices"][0]["confirms"].is_null()),
            "{auto:#}"
        );
        assert_eq!(invoices(&ts.store, "Tallo").await, before, "{}: paid once", ts.name);
        let id = ts.store.company("Tallo").await.unwrap().id;
        let p = ts.store.payments(id, "A-101").await.unwrap();
        assert_eq!(
            p.iter()
                .map(|p| (p.source.as_str(), p.confirms.is_some()))
                .collect::<Vec<_>>(),
            [("import", false), ("bank", true)],
            "{}",
            ts.name
        );
    }
}

//! Each mockup tree of the corpus, served on 127.0.0.1, gives exactly the snapshot its JSON files
//! say: the expected values below were read from the files (`shared/corpus/redfish/…`), not
//! from a run — which resource, which property, and why a part is or is not there is said where
//! it is not plain.

use serde_json::{json, Value};

use super::{corpus_tree, endpoint, quick, walk, RedfishMock, Route, Setup, Tree};

/// The snapshot as JSON without its clock-dependent `read_at`, and the walk's notes.
async fn discovered(mock: &RedfishMock) -> (Value, Vec<String>) {
    let crawl = walk(&endpoint(&mock.root()), &quick())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut v = serde_json::to_value(&crawl.snapshot).unwrap();
    let read_at = v.as_object_mut().unwrap().remove("read_at").unwrap();
    assert!(read_at.as_str().unwrap().starts_with("20"), "{read_at}");
    // Never a GET of anything but a link the walk follows: no method but GET, each path once.
    let log = mock.log();
    assert!(log.iter().all(|r| r.method == "GET"), "{log:?}");
    let mut paths: Vec<String> = log
        .iter()
        .map(|r| {
            r.target
                .split('?')
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_string()
        })
        .collect();
    let n = paths.len();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), n, "a resource was read twice: {log:?}");
    (v, crawl.notes)
}

fn serve(name: &str) -> Option<RedfishMock> {
    let dir = corpus_tree(name)?;
    Some(RedfishMock::start(Setup::new(Tree::load(&dir))))
}

#[tokio::test]
async fn dmtf_rackmount1() {
    let Some(mock) = serve("dmtf-public-rackmount1") else {
        return;
    };
    let (snap, _) = discovered(&mock).await;
    assert_eq!(
        snap,
        json!({
            "firmwatch_discovered": 1,
            "system": "sys",
            "source": "redfish",
            "endpoint": mock.root(),
            // Systems/437XR1138R2: LastResetTime 2021-03-13T04:02:57+06:00.
            "facts": {"vendor": "Contoso", "model": "3500", "serial": "437XR1138R2",
                      "booted": "2021-03-12T22:02:57Z"},
            "components": [
                // ComputerSystem.BiosVersion; the FirmwareInventory BIOS entry (P79 v1.45,
                // RelatedItem → the system) is the same firmware and adds nothing.
                {"id": "bios", "kind": "other", "vendor": "Contoso", "model": "3500",
                 "firmware": "P79 v1.45 (12/06/2017)", "location": "/redfish/v1/Systems/437XR1138R2"},
                // Managers/BMC; its FirmwareInventory entry BMC is the same version.
                {"id": "bmc", "kind": "bmc", "model": "Joo Janta 200",
                 "firmware": "1.45.455b66-rev4", "location": "/redfish/v1/Managers/BMC"},
                // FirmwareInventory/SS: RelatedItem SimpleStorage/1, which is no part.
                {"id": "fw-SS", "kind": "other", "vendor": "Contoso",
                 "model": "Contoso Simple Storage Firmware", "firmware": "2.50",
                 "location": "/redfish/v1/UpdateService/FirmwareInventory/SS"},
                // PowerSubsystem/PowerSupplies: Bay1; Bay2 is Absent. The legacy Power
                // resource's supply is the same bay in the older form, left out.
                {"id": "psu-Bay1", "kind": "psu", "vendor": "Contoso Power", "model": "RKS-440DC",
                 "firmware": "1.00", "serial": "3488247",
                 "location": "/redfish/v1/Chassis/1U/PowerSubsystem/PowerSupplies/Bay1"}
            ]
        })
    );
    // AC-RoT0 exists but is not a member of the FirmwareInventory collection: never read.
    assert!(!mock.log().iter().any(|r| r.target.contains("AC-RoT0")));
    // The root advertises ExpandQuery: collections are asked with $expand (serve.py ignores it).
    assert!(
        mock.log()
            .iter()
            .any(|r| r.target == "/redfish/v1/Systems?$expand=.($levels=1)"),
        "{:?}",
        mock.log()
    );
}

#[tokio::test]
async fn dmtf_localstorage() {
    let Some(mock) = serve("dmtf-public-localstorage") else {
        return;
    };
    let (snap, _) = discovered(&mock).await;
    let drive = |id: &str, serial: &str| {
        json!({"id": format!("drive-{id}"), "kind": "drive", "vendor": "Contoso", "model": "C123",
               "firmware": "100A", "serial": serial,
               "location": format!("/redfish/v1/Chassis/1U/Drives/{id}")})
    };
    assert_eq!(
        snap,
        json!({
            "firmwatch_discovered": 1,
            "system": "sys",
            "source": "redfish",
            "endpoint": mock.root(),
            "facts": {"vendor": "Contoso", "model": "3500RX", "serial": "437XR1138R2"},
            "components": [
                {"id": "bios", "kind": "other", "vendor": "Contoso", "model": "3500RX",
                 "firmware": "P79 v1.33 (02/28/2015)", "location": "/redfish/v1/Systems/437XR1138R2"},
                {"id": "bmc", "kind": "bmc", "model": "Joo Janta 200", "firmware": "1.00",
                 "location": "/redfish/v1/Managers/BMC"},
                // Storage/1 StorageControllers[0] (the inline, older form).
                {"id": "controller-0", "kind": "controller", "vendor": "Contoso",
                 "model": "12Gbs Integrated RAID", "firmware": "1.0.0.7", "serial": "2M220100SL",
                 "location": "/redfish/v1/Systems/437XR1138R2/Storage/1#/StorageControllers/0"},
                drive("32ADF365C6C1B7BD", "1234570"),
                drive("35D38F11ACEF7BD3", "1234567"),
                drive("3D58ECBC375FD9F2", "1234568"),
                drive("3F5A8C54207B7233", "1234569"),
                // No PowerSubsystem here: the legacy Power.PowerSupplies[0].
                {"id": "psu-0", "kind": "psu", "vendor": "ManufacturerName", "model": "499253-B21",
                 "firmware": "1.00", "serial": "1Z0000001",
                 "location": "/redfish/v1/Chassis/1U/Power#/PowerSupplies/0"}
            ],
            // Volume 1 is RAID1 over two drives; volumes 2 and 3 are RAID0 on one drive each:
            // nothing protects anything there, so no group.
            "raid_groups": [
                {"id": "raid-1", "raid_type": "RAID1",
                 "members": ["drive-35D38F11ACEF7BD3", "drive-3F5A8C54207B7233"],
                 "location": "/redfish/v1/Systems/437XR1138R2/Storage/1/Volumes/1"}
            ]
        })
    );
    // The unlinked copies of the drives under Systems/…/Storage/1/Drives are never read.
    assert!(!mock
        .log()
        .iter()
        .any(|r| r.target.contains("/Storage/1/Drives/")));
}

#[tokio::test]
async fn snia_swordfish_ebof() {
    let Some(mock) = serve("snia-swordfish-ebof") else {
        return;
    };
    let (snap, _) = discovered(&mock).await;
    let controller = |storage: &str| {
        json!({"id": format!("controller-{storage}-NVMeIOController"), "kind": "controller",
               "vendor": "Best NVMe Vendor", "model": "Simple NVMe Device", "firmware": "1.0.0",
               "serial": "NVME123456",
               "location": format!("/redfish/v1/Storage/{storage}/Controllers/NVMeIOController")})
    };
    // Both drives say `"Id": "IPAttachedDrive"`: ids come from the paths, which differ.
    let drive = |name: &str| {
        json!({"id": format!("drive-{name}"), "kind": "drive", "vendor": "Contoso",
               "model": "ST9146802SS", "firmware": "S20A", "serial": "72D0A037FRD26",
               "location": format!("/redfish/v1/Chassis/EBOFEnclosure/Drives/{name}")})
    };
    assert_eq!(
        snap,
        json!({
            "firmwatch_discovered": 1,
            "system": "sys",
            "source": "redfish",
            "endpoint": mock.root(),
            // No ComputerSystem in an EBOF.
            "facts": {},
            "components": [
                controller("IPAttachedDrive1"),
                controller("IPAttachedDrive2"),
                drive("IPAttachedDrive1"),
                drive("IPAttachedDrive2"),
                // ManagerType EnclosureManager.
                {"id": "enclosure-EBOF-SoC", "kind": "enclosure", "vendor": "Box Manufacturer",
                 "model": "Joo Janta 200", "firmware": "1.00", "serial": "AX1823-045",
                 "location": "/redfish/v1/Managers/EBOF-SoC"}
            ]
            // Each namespace (RAIDType None) is on one drive: no RAID group.
        })
    );
}

#[tokio::test]
async fn nvidia_bluefield3_recorded() {
    let Some(mock) = serve("nvidia-bluefield3-bmc") else {
        return;
    };
    let (snap, notes) = discovered(&mock).await;
    // Every entry is named "Software Inventory": the model is its Id. BMC_Firmware is the
    // manager's ActiveSoftwareImage and golden_image_* its SoftwareImages (the manager states its
    // own FirmwareVersion); the ten host images tied to Systems/Bluefield/Bios, which states no
    // version, are parts of their own, as is the ERoT's (its chassis is no part).
    let fw = |id: &str, vendor: Option<&str>, version: &str| {
        let mut v = json!({"id": format!("fw-{id}"), "kind": "other", "model": id,
                           "firmware": version,
                           "location": format!("/redfish/v1/UpdateService/FirmwareInventory/{id}")});
        if let Some(vendor) = vendor {
            v["vendor"] = json!(vendor);
        }
        v
    };
    assert_eq!(
        snap,
        json!({
            "firmwatch_discovered": 1,
            "system": "sys",
            "source": "redfish",
            "endpoint": mock.root(),
            // SerialNumber "MT2313XZ0L2P            " trimmed; LastResetTime of the system.
            "facts": {"serial": "MT2313XZ0L2P", "booted": "2023-11-27T17:57:14Z"},
            "components": [
                {"id": "bmc", "kind": "bmc", "model": "OpenBmc", "firmware": "BF-23.10-5",
                 "booted": "2023-12-13T21:05:04Z",
                 "location": "/redfish/v1/Managers/Bluefield_BMC"},
                fw("Bluefield_FW_ERoT", Some("NVIDIA"), "00.02.0092.0000_n02"),
                fw("DPU_ATF", None, "v2.2(release):4.2.2-3-ged2a420"),
                fw("DPU_BOARD", None, "MT_0000000884"),
                fw("DPU_BSP", None, "TF"),
                fw("DPU_NIC", None, "32.36.3062"),
                fw("DPU_NODE", None, "946d:ae03:0076:6e6e"),
                fw("DPU_OFED", None, "MLNX_OFED_LINUX-5.8-1.1.2.1.104"),
                fw("DPU_OS", None, "ion:"),
                fw("DPU_SYS_IMAGE", None, "946d:ae03:0076:6e6a"),
                fw("DPU_UEFI", None, "4.2.2-2-g1174066"),
            ]
        })
    );
    // SoftwareInventory is a collection body carrying an `error` object, recorded as served.
    assert!(
        notes
            .iter()
            .any(|n| n.contains("/UpdateService/SoftwareInventory") && n.contains("error")),
        "{notes:?}"
    );
}

/// The Seagate recording has no `/redfish/v1/Storage` collection (never recorded), so the test
/// adds that one collection, listing the one Storage the recording has; everything else is the
/// recording. Of the 24 drives only `0.0` was recorded: the others are dead links, and the disk
/// group over 0.0–0.3 cannot be a RAID group here.
#[tokio::test]
async fn seagate_array_recorded_with_its_storage_collection_added() {
    let Some(dir) = corpus_tree("seagate-storage-array") else {
        return;
    };
    let setup = Setup::new(Tree::load(&dir)).route(
        "/redfish/v1/Storage",
        Route::Json(json!({
            "@odata.id": "/redfish/v1/Storage",
            "Members": [{"@odata.id": "/redfish/v1/Storage/controller_a"}],
            "Members@odata.count": 1
        })),
    );
    let mock = RedfishMock::start(setup);
    let (snap, notes) = discovered(&mock).await;
    let psu = |n: &str, serial: &str| {
        json!({"id": format!("psu-psu_0.{n}"), "kind": "psu", "serial": serial,
               "location": format!("/redfish/v1/Chassis/enclosure_0/Power#/PowerSupplies/{n}")})
    };
    let bundle = |n: &str| {
        json!({"id": format!("fw-firmware-bundle_{n}"), "kind": "other",
               "model": "firmware-bundle", "firmware": "I210A009e",
               "location": format!("/redfish/v1/UpdateService/FirmwareInventory/firmware-bundle_{n}")})
    };
    let manager = |c: &str| {
        json!({"id": format!("controller-controller_{c}"), "kind": "controller",
               "firmware": "I200B009", "location": format!("/redfish/v1/Managers/controller_{c}")})
    };
    assert_eq!(
        snap["facts"],
        json!({"vendor": "SEAGATE", "serial": "SGFTJ2032520531"})
    );
    assert_eq!(
        snap["components"],
        json!([
            // Storage/controller_a StorageControllers[0] (MemberId "A"): no FirmwareVersion. The
            // same Storage is also served under Systems/SGFTJ2032520531: one part, not two.
            {"id": "controller-A", "kind": "controller", "vendor": "SEAGATE",
             "serial": "00C0FF546059",
             "location": "/redfish/v1/Storage/controller_a#/StorageControllers/0"},
            // Managers of ManagerType ManagementController: the array's controllers.
            manager("a"),
            manager("b"),
            {"id": "drive-0.0", "kind": "drive", "vendor": "SEAGATE", "firmware": "C003",
             "serial": "WBN01JLC0000E813EPRP",
             "location": "/redfish/v1/Storage/controller_a/Drives/0.0"},
            bundle("0"),
            bundle("1"),
            psu("0", "DHSIFTJ-20326G4B0T"),
            psu("1", "DHSIFTJ-20326G4B2L"),
        ])
    );
    assert_eq!(snap.get("raid_groups"), None);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("StoragePools/dgA01")
                && n.contains("3 of its 4 drives were not read")),
        "{notes:?}"
    );
    assert!(notes.iter().any(|n| n.contains("dead links")), "{notes:?}");
}

/// DriveMetrics: no tree has one, so the DMTF schema example (PowerOnHours 3) is served as the
/// metrics of one localstorage drive, whose resource gains the `Metrics` link; the reading is
/// dated by the response's `Date`.
#[tokio::test]
async fn drive_metrics_give_power_on_hours_read_at_the_response_date() {
    let (Some(dir), Some(corpus)) = (
        corpus_tree("dmtf-public-localstorage"),
        crate::support::corpus(),
    ) else {
        return;
    };
    let drive_path = "/redfish/v1/Chassis/1U/Drives/35D38F11ACEF7BD3";
    let mut drive: Value = serde_json::from_slice(
        &std::fs::read(dir.join("Chassis/1U/Drives/35D38F11ACEF7BD3/index.json")).unwrap(),
    )
    .unwrap();
    drive["Metrics"] = json!({"@odata.id": format!("{drive_path}/Metrics")});
    let metrics: Value = serde_json::from_slice(
        &std::fs::read(corpus.join("redfish/schema-examples/dsp2046/DriveMetrics-v1-example.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(metrics["PowerOnHours"], 3, "the example's value");
    let mut setup = Setup::new(Tree::load(&dir))
        .route(drive_path, Route::Json(drive))
        .route(&format!("{drive_path}/Metrics"), Route::Json(metrics));
    setup.date = Some("Mon, 02 Mar 2026 10:00:00 GMT".into());
    let mock = RedfishMock::start(setup.clone());
    let (snap, _) = discovered(&mock).await;
    let part = |snap: &Value| {
        snap["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "drive-35D38F11ACEF7BD3")
            .cloned()
            .unwrap()
    };
    assert_eq!(
        part(&snap)["power_on_hours"],
        json!({"hours": 3, "read_at": "2026-03-02T10:00:00Z"})
    );
    // The other drives have no metrics.
    assert_eq!(
        snap["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c.get("power_on_hours").is_some())
            .count(),
        1
    );
    // A BMC whose clock says 1970: the reading is dated by the crawl's clock instead.
    setup.date = Some("Thu, 01 Jan 1970 00:00:10 GMT".into());
    let mock = RedfishMock::start(setup);
    let crawl = walk(&endpoint(&mock.root()), &quick()).await.unwrap();
    let hours = crawl
        .snapshot
        .components
        .iter()
        .find_map(|c| c.power_on_hours)
        .unwrap();
    assert_eq!(hours.hours, 3);
    assert_eq!(hours.read_at, crawl.snapshot.read_at);
}

/// HPE iLO 5's OEM drive (a real fixture, `vendor-samples/hpe`) states its firmware as an object
/// `{"Current": {"VersionString": "HPDC"}}` and no `Revision`, and `PowerOnHours: null`: served in
/// place of one localstorage drive, it is read as firmware `HPDC` with no hours.
#[tokio::test]
async fn an_hpe_oem_drive_firmware_object_is_its_firmware() {
    let (Some(dir), Some(hpe)) = (corpus_tree("dmtf-public-localstorage"), corpus_tree("hpe"))
    else {
        return;
    };
    let drive: Value = serde_json::from_slice(
        &std::fs::read(hpe.join("ilo5-smartstorage-diskdrive.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(drive["PowerOnHours"], Value::Null);
    let mock = RedfishMock::start(Setup::new(Tree::load(&dir)).route(
        "/redfish/v1/Chassis/1U/Drives/35D38F11ACEF7BD3",
        Route::Json(drive),
    ));
    let (snap, _) = discovered(&mock).await;
    let part = snap["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "drive-35D38F11ACEF7BD3")
        .cloned()
        .unwrap();
    assert_eq!(
        part,
        json!({"id": "drive-35D38F11ACEF7BD3", "kind": "drive", "model": "EG0600FBVFP",
               "firmware": "HPDC", "serial": "KWGER73R",
               "location": "/redfish/v1/Chassis/1U/Drives/35D38F11ACEF7BD3"})
    );
}

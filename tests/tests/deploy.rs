//! `docker-compose.yml` and `Dockerfile`, checked without a Docker engine: the compose
//! file against the compose specification's schema (`check-jsonschema`, installed by
//! the test command), every setting they give against the binary's real settings, the
//! published ports against those settings, and the runtime stage's commands run here —
//! the binary started as a non-root user without CAP_SYS_NICE with the image's
//! environment, and the image's health check command asked of it.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use std::path::{Path, PathBuf};
use std::process::Command;
use switchboard_tests::Started;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(root().join(name)).unwrap()
}

/// Every `SWITCHBOARD_*` name in `text`.
fn settings_in(text: &str) -> Vec<String> {
    let mut found: Vec<String> = text
        .split(|c: char| !(c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()))
        .filter(|w| w.starts_with("SWITCHBOARD_") && w.len() > "SWITCHBOARD_".len())
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The value given to `name` in `text` (`NAME: value` or `NAME=value`).
fn value_of(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|l| {
            let l = l.trim().trim_end_matches('\\').trim();
            let rest = l.strip_prefix(name)?;
            let rest = rest.strip_prefix(':').or_else(|| rest.strip_prefix('='))?;
            Some(rest.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| panic!("{name} is not set"))
}

#[test]
fn the_compose_file_follows_the_compose_specification() {
    let out = Command::new("python3")
        .args([
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
        ])
        .arg(root().join("docker-compose.yml"))
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named check_jsonschema"),
        "check-jsonschema is not installed (pip install check-jsonschema; ./scripts/test does)"
    );
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_setting_given_is_one_of_the_binarys_and_the_ports_match_them() {
    let help = Command::new(switchboard_tests::switchboard_bin())
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    let (compose, dockerfile) = (read("docker-compose.yml"), read("Dockerfile"));
    for name in settings_in(&compose)
        .iter()
        .chain(&settings_in(&dockerfile))
    {
        assert!(
            help.contains(name.as_str()),
            "{name} is not a setting of the binary"
        );
    }
    for text in [&compose, &dockerfile] {
        let http = value_of(text, "SWITCHBOARD_HTTP_ADDR");
        let sip = value_of(text, "SWITCHBOARD_SIP_ADDR");
        let rtp = value_of(text, "SWITCHBOARD_RTP_PORTS");
        let http_port = http.rsplit(':').next().unwrap();
        let sip_port = sip.rsplit(':').next().unwrap();
        if text == &compose {
            assert!(
                compose.contains(&format!("\"{http_port}:{http_port}/tcp\"")),
                "HTTP published"
            );
            assert!(
                compose.contains(&format!("\"{sip_port}:{sip_port}/udp\"")),
                "SIP/UDP published"
            );
            assert!(
                compose.contains(&format!("\"{sip_port}:{sip_port}/tcp\"")),
                "SIP/TCP published"
            );
            assert!(
                compose.contains(&format!("\"{rtp}:{rtp}/udp\"")),
                "RTP published"
            );
        } else {
            let expose = dockerfile
                .lines()
                .find(|l| l.starts_with("EXPOSE"))
                .unwrap();
            for port in [
                format!("{http_port}/tcp"),
                format!("{sip_port}/udp"),
                format!("{sip_port}/tcp"),
                format!("{rtp}/udp"),
            ] {
                assert!(expose.contains(&port), "{port} exposed: {expose}");
            }
        }
    }
    // The same defaults in both, and the health check on the HTTP port.
    assert_eq!(
        value_of(&compose, "SWITCHBOARD_RTP_PORTS"),
        value_of(&dockerfile, "SWITCHBOARD_RTP_PORTS")
    );
    assert!(dockerfile.contains("http://127.0.0.1:8080/health"));
    assert!(compose.contains("http://127.0.0.1:8080/health"));
}

#[test]
fn the_runtime_stage_runs_unprivileged_with_the_images_settings_and_passes_its_health_check() {
    use std::os::unix::fs::PermissionsExt;
    let dockerfile = read("Dockerfile");
    assert!(
        dockerfile.contains("USER switchboard"),
        "the image runs as non-root"
    );
    // The runtime stage's packages are the ones the test command installs.
    assert!(dockerfile.contains("espeak-ng"));
    let espeak = Command::new("espeak-ng").arg("--version").output().unwrap();
    assert!(espeak.status.success());

    let data = tempfile::tempdir().unwrap();
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    // The image's environment, on this machine's free ports.
    let env = [
        ("SWITCHBOARD_DATA_DIR", data.path().display().to_string()),
        ("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("SWITCHBOARD_SIP_ADDR", "127.0.0.1:0".to_owned()),
        (
            "SWITCHBOARD_RTP_PORTS",
            value_of(&dockerfile, "SWITCHBOARD_RTP_PORTS"),
        ),
    ];
    let as_user = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
    ]
    .map(str::to_owned);
    let mut server = Started::spawn_via(&as_user, None, &env, &[]);
    let url = server.wait_ready();
    // The image's HEALTHCHECK command, against this server.
    let check = dockerfile
        .lines()
        .find_map(|l| l.trim().strip_prefix("CMD "))
        .unwrap()
        .replace("http://127.0.0.1:8080", &url);
    let out = Command::new("sh").args(["-c", &check]).output().unwrap();
    assert!(
        out.status.success(),
        "{check}: {}{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        server.stderr_text()
    );
}

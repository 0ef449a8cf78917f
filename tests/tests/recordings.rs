//! `/v1/recordings`: WAV uploads in every PCM layout are converted to 8 kHz mono 16-bit
//! (checked by measuring the tone in the downloaded file), bad uploads are refused with
//! 413/415/422, and a refused upload leaves no file and no row behind.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::json;
use switchboard_tests::app_harness::audio_files;
use switchboard_tests::audio::{read_wav, tone_wav};
use switchboard_tests::{Backend, TestApp, both_backends, error_of};

async fn upload_multipart(app: &TestApp, name: &str, wav: Vec<u8>) -> (u16, serde_json::Value) {
    let form = Form::new().text("name", name.to_owned()).part(
        "file",
        Part::bytes(wav)
            .file_name("prompt.wav")
            .mime_str("audio/wav")
            .unwrap(),
    );
    app.send(app.req(Method::POST, "/v1/recordings").multipart(form))
        .await
}

async fn upload_raw(
    app: &TestApp,
    name: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    app.send(
        app.req(Method::POST, &format!("/v1/recordings?name={name}"))
            .header("content-type", content_type)
            .body(body),
    )
    .await
}

async fn download(app: &TestApp, id: &str) -> (u16, String, Vec<u8>) {
    let response = app
        .req(Method::GET, &format!("/v1/recordings/{id}/audio"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let ct = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, response.bytes().await.unwrap().to_vec())
}

/// Files in the data directory's recordings and tmp folders.
fn stored_files(app: &TestApp) -> Vec<String> {
    audio_files(app.data_dir.path())
}

async fn assert_nothing_stored(app: &TestApp) {
    let (_, list) = app.get("/v1/recordings").await;
    assert_eq!(list["data"], json!([]), "no row");
    assert!(
        stored_files(app).is_empty(),
        "no file: {:?}",
        stored_files(app)
    );
}

both_backends! {
    async fn any_pcm_wav_is_converted_and_keeps_its_tone(app) {
        // (rate, channels, bits, float, tone Hz)
        let layouts = [
            (44_100, 2, 16, false, 440.0),
            (48_000, 1, 24, false, 1000.0),
            (16_000, 2, 8, false, 697.0),
            (8000, 1, 16, false, 1209.0),
            (22_050, 1, 32, true, 770.0),
        ];
        for (i, (rate, channels, bits, float, freq)) in layouts.into_iter().enumerate() {
            let name = format!("tone{i}");
            let wav = tone_wav(freq, 1.5, rate, channels, bits, float, 0.5);
            let (status, rec) = if i % 2 == 0 {
                upload_multipart(&app, &name, wav).await
            } else {
                upload_raw(&app, &name, "audio/wav", wav).await
            };
            assert_eq!(status, 201, "{rate}/{channels}/{bits}: {rec}");
            assert_eq!(rec["name"], name.as_str());
            assert_eq!(rec["kind"], "upload");
            assert_eq!((rec["sample_rate"].as_u64(), rec["channels"].as_u64(), rec["bits_per_sample"].as_u64()), (Some(8000), Some(1), Some(16)));
            assert_eq!(rec["source"], json!({"sample_rate": rate, "channels": channels, "bits_per_sample": bits, "encoding": if float {"float"} else {"pcm"}}));
            assert_eq!(rec["duration_ms"], 1500);
            let id = rec["id"].as_str().unwrap();
            assert_eq!(rec["audio_url"], format!("/v1/recordings/{id}/audio"));

            let (status, content_type, bytes) = download(&app, id).await;
            assert_eq!(status, 200);
            assert_eq!(content_type, "audio/wav");
            assert_eq!(rec["size_bytes"].as_u64(), Some(bytes.len() as u64));
            let pcm = read_wav(&bytes);
            assert_eq!((pcm.rate, pcm.channels, pcm.bits), (8000, 1, 16));
            assert_eq!(pcm.duration_ms(), 1500);
            let candidates = [440.0, 697.0, 770.0, 1000.0, 1209.0, 1336.0];
            assert_eq!(pcm.dominant(&candidates), freq, "{rate}/{channels}/{bits}");
            // 0.5 full scale sine: RMS 0.354 (8-bit input adds a little noise).
            assert!((pcm.rms() - 0.354).abs() < 0.02, "{rate}/{channels}/{bits}: rms {}", pcm.rms());
        }
        let (_, list) = app.get("/v1/recordings").await;
        assert_eq!(list["data"].as_array().unwrap().len(), 5);
        assert_eq!(stored_files(&app).len(), 5);
    }

    async fn recordings_are_found_by_id_or_name_renamed_and_deleted(app) {
        let (_, rec) = upload_multipart(&app, "VoicemailCenter", tone_wav(440.0, 0.5, 8000, 1, 16, false, 0.3)).await;
        let id = rec["id"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/v1/recordings/VoicemailCenter").await.1["id"], id.as_str());
        assert_eq!(download(&app, "VoicemailCenter").await.0, 200);

        let (status, renamed) = app.patch(&format!("/v1/recordings/{id}"), json!({"name": "Welcome"})).await;
        assert_eq!(status, 200, "{renamed}");
        assert_eq!(renamed["name"], "Welcome");
        assert_eq!(app.get("/v1/recordings/VoicemailCenter").await.0, 404);

        let (status, body) = upload_multipart(&app, "Welcome", tone_wav(440.0, 0.5, 8000, 1, 16, false, 0.3)).await;
        assert_eq!(status, 409);
        assert_eq!(error_of(&body), ("conflict".into(), Some("name".into())));
        assert_eq!(stored_files(&app).len(), 1, "the refused duplicate left no file");

        let (_, kinds) = app.get("/v1/recordings?kind=upload").await;
        assert_eq!(kinds["data"].as_array().unwrap().len(), 1);
        let (_, kinds) = app.get("/v1/recordings?kind=voicemail").await;
        assert_eq!(kinds["data"], json!([]));

        assert_eq!(app.delete(&format!("/v1/recordings/{id}")).await.0, 204);
        assert_nothing_stored(&app).await;
        assert_eq!(download(&app, &id).await.0, 404);
    }

    async fn non_wav_uploads_are_415(app) {
        let mp3 = b"ID3\x04\x00\x00\x00\x00\x00\x00 pretend this is an mp3 file".to_vec();
        let (status, body) = upload_multipart(&app, "song", mp3.clone()).await;
        assert_eq!(status, 415, "{body}");
        assert_eq!(error_of(&body), ("unsupported_media_type".into(), Some("file".into())));
        let (status, _) = upload_raw(&app, "song", "audio/wav", mp3).await;
        assert_eq!(status, 415);
        let (status, body) = upload_raw(&app, "song", "audio/mpeg", tone_wav(440.0, 0.2, 8000, 1, 16, false, 0.3)).await;
        assert_eq!(status, 415, "only WAV media types are accepted");
        assert_eq!(error_of(&body).0, "unsupported_media_type");
        // A-law WAV (format tag 6): a WAV we do not decode.
        let mut alaw = tone_wav(440.0, 0.2, 8000, 1, 16, false, 0.3);
        alaw[20] = 6;
        let (status, _) = upload_raw(&app, "alaw", "audio/wav", alaw).await;
        assert!(status == 415 || status == 422, "{status}");
        assert_nothing_stored(&app).await;
    }

    async fn corrupt_wavs_are_422(app) {
        let good = tone_wav(440.0, 1.0, 8000, 1, 16, false, 0.3);
        let truncated = good[..good.len() / 2].to_vec();
        let mut garbage = good[..12].to_vec();
        garbage.extend_from_slice(&[0x5a; 200]);
        let header_only = tone_wav(440.0, 0.0, 8000, 1, 16, false, 0.3);
        for (what, bytes) in [("truncated", truncated), ("garbage", garbage), ("empty", header_only)] {
            let (status, body) = upload_raw(&app, what, "audio/wav", bytes).await;
            assert_eq!(status, 422, "{what}: {body}");
            assert_eq!(error_of(&body), ("validation_failed".into(), Some("file".into())), "{what}");
        }
        assert_nothing_stored(&app).await;
    }

    async fn uploads_need_a_valid_name_and_a_file(app) {
        let wav = tone_wav(440.0, 0.2, 8000, 1, 16, false, 0.3);
        let (status, body) = app
            .send(app.req(Method::POST, "/v1/recordings").header("content-type", "audio/wav").body(wav.clone()))
            .await;
        assert_eq!(status, 422);
        assert_eq!(error_of(&body).1.as_deref(), Some("name"));
        let (status, body) = upload_raw(&app, "bad%20name", "audio/wav", wav.clone()).await;
        assert_eq!(status, 422);
        assert_eq!(error_of(&body).1.as_deref(), Some("name"));
        let form = Form::new().text("name", "x");
        let (status, body) = app.send(app.req(Method::POST, "/v1/recordings").multipart(form)).await;
        assert_eq!(status, 422);
        assert_eq!(error_of(&body).1.as_deref(), Some("file"));
        let (status, body) = app
            .send(app.req(Method::POST, "/v1/recordings").body(wav))
            .await;
        assert_eq!(status, 415, "no content type: {body}");
        assert_nothing_stored(&app).await;
    }
}

/// Over the configured limit is a 413, raw or multipart, and nothing is kept.
#[tokio::test]
async fn uploads_over_the_limit_are_413() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn_with(
            backend,
            &[("SWITCHBOARD_MAX_UPLOAD_BYTES", "100000".to_owned())],
        )
        .await;
        // 8 kHz 16-bit mono: 2 s is 32 kB (accepted), 10 s is 160 kB (refused).
        let small = tone_wav(440.0, 2.0, 8000, 1, 16, false, 0.3);
        let big = tone_wav(440.0, 10.0, 8000, 1, 16, false, 0.3);
        assert_eq!(upload_raw(&app, "small", "audio/wav", small).await.0, 201);
        let (status, body) = upload_raw(&app, "big", "audio/wav", big.clone()).await;
        assert_eq!(status, 413, "{body}");
        assert_eq!(error_of(&body).0, "payload_too_large");
        let (status, body) = upload_multipart(&app, "big", big).await;
        assert_eq!(status, 413, "{body}");
        assert_eq!(error_of(&body).0, "payload_too_large");
        let (_, list) = app.get("/v1/recordings").await;
        assert_eq!(list["data"].as_array().unwrap().len(), 1);
        assert_eq!(stored_files(&app).len(), 1);
    }
}

/// Files left by a crash between writing the file and its row are swept at start.
#[tokio::test]
async fn leftover_files_are_swept_at_start() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let (_, rec) = upload_raw(
        &app,
        "keep",
        "audio/wav",
        tone_wav(440.0, 0.2, 8000, 1, 16, false, 0.3),
    )
    .await;
    let dir = app.data_dir.path().to_owned();
    std::fs::write(
        dir.join("recordings/RE00000000000000000000000000000000.wav"),
        b"orphan",
    )
    .unwrap();
    std::fs::write(dir.join("tmp/REdead.wav.part"), b"half").unwrap();
    app.restart().await;
    assert_eq!(
        stored_files(&app),
        vec![format!("recordings/{}.wav", rec["id"].as_str().unwrap())]
    );
    assert_eq!(download(&app, rec["id"].as_str().unwrap()).await.0, 200);
}

mod common;

use common::*;
use reginv_emulator::Emulator;

#[tokio::test]
async fn serves_both_vendors() {
    let emu = Emulator::builder().start().await.unwrap();
    let r = ncp_get(&emu, "/ncr/api/v2/repositories").await;
    assert_eq!(r.status, 200, "{}", r.body);
    println!("{}", r.body);
    let r = ncp_get(
        &emu,
        "/ncr/api/v2/repositories/acme-prod/payments%2Fapi/tags?page=1&pagesize=2",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    println!("{}", r.body);
    let r = swr_get(&emu, "/v2/manage/repos?limit=2&offset=2").await;
    assert_eq!(r.status, 200, "{}", r.body);
    println!("{:?} {}", r.content_range(), r.body);
    let r = swr_get(&emu, "/v2/manage/namespaces/acme/repos/team$app/tags").await;
    assert_eq!(r.status, 200, "{}", r.body);
    println!("{}", r.body);
    emu.shutdown().await;
}

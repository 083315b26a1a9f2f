//! `cargo bench --bench inventory`: the performance harness (being written; see issue 7).

fn main() {
    eprintln!("the inventory benchmark is not written yet");
}

//! The `reginv-emulator` binary. (Work in progress.)

fn main() {
    eprintln!("reginv-emulator: not implemented yet");
    std::process::exit(1);
}

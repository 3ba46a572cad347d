// rust_app: Rust functions to trace, each printing the arguments it got
// (and main what each returned) so that a test compares a tracer's values
// with the program's own.  compute takes integers and a float; greet a &str
// and a String; total a slice.  Usage: rust_app [N] (N rounds, default 3).
// Prints, per round:
//
//	compute(a=A, b=B, scale=S)
//	compute = V
//	greet(name="gopher", owned="owned-R")
//	greet = V
//	total(v=[...])
//	total = V
//
//	opt(o=Some(R), r=Ok(R))   or   opt(o=None, r=Err("odd-R")) (odd rounds)
//
// then "sum: N".  Exits 0.  opt takes two Rust enums (Option<u32>,
// Result<i32, String>): structs with a DWARF variant part.
#[inline(never)]
pub fn compute(a: u64, b: i32, scale: f64) -> u64 {
    println!("compute(a={}, b={}, scale={})", a, b, scale);
    ((a as f64 * scale) as i64 + b as i64) as u64
}

#[inline(never)]
pub fn greet(name: &str, owned: String) -> usize {
    println!("greet(name={:?}, owned={:?})", name, owned);
    name.len() + owned.len()
}

#[inline(never)]
pub fn total(v: &[i64]) -> i64 {
    println!("total(v={:?})", v);
    v.iter().sum()
}

#[inline(never)]
pub fn opt(o: Option<u32>, r: Result<i32, String>) -> u32 {
    println!("opt(o={:?}, r={:?})", o, r);
    o.unwrap_or(7) + r.map(|x| x as u32).unwrap_or(3)
}

fn main() {
    let rounds: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let mut sum = 0u64;
    for r in 0..rounds {
        let c = compute(1000 + r, -(r as i32) - 7, 1.5);
        println!("compute = {}", c);
        let owned = format!("owned-{}", r);
        let g = greet("gopher", owned);
        println!("greet = {}", g);
        let v: Vec<i64> = (0..(r as i64 + 2)).map(|x| x * 10 - 5).collect();
        let t = total(&v);
        println!("total = {}", t);
        let (o, res) = if r % 2 == 0 { (Some(r as u32), Ok(r as i32 * 10)) } else { (None, Err(format!("odd-{}", r))) };
        sum = sum.wrapping_add(opt(o, res) as u64);
        sum = sum.wrapping_add(c).wrapping_add(g as u64).wrapping_add(t as u64);
    }
    println!("sum: {}", sum);
}

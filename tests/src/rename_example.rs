//! The next-edit example the end-to-end tests share: the user renames the parameter `w` of
//! `area` to `width`, and renaming its uses is the next edit.

pub const SOURCE: &str = "\
def area(w, h):
    doubled = w * 2
    return w * h


def main():
    print(area(2, 3))
";

/// `SOURCE` with the parameter and its uses renamed: the file once the next edit is applied.
pub fn renamed() -> String {
    SOURCE.replace("w, h", "width, h").replace("w * 2", "width * 2").replace("w * h", "width * h")
}

//! The application icon (`ui/assets/`: an SVG and PNG sizes made from it), embedded so the
//! window, the tray and notifications have it without an installation.
use fltk::image::PngImage;
use fltk::prelude::ImageExt;

/// The 64-pixel PNG.
pub const PNG_64: &[u8] = include_bytes!("../../assets/lanchat-64.png");

/// The icon as an FLTK image (for the window).
pub fn image() -> Option<PngImage> {
    PngImage::from_data(PNG_64).ok()
}

/// The icon in the tray's format (ARGB32, network byte order).
#[cfg(target_os = "linux")]
pub fn argb32() -> Option<ksni::Icon> {
    let img = image()?;
    let (w, h) = (img.data_w(), img.data_h());
    let rgba = img.to_rgb_data();
    let depth = img.depth() as usize;
    if depth != 4 {
        return None;
    }
    let data = rgba
        .chunks_exact(4)
        .flat_map(|p| [p[3], p[0], p[1], p[2]])
        .collect();
    Some(ksni::Icon {
        width: w,
        height: h,
        data,
    })
}

//! The one FITS module: encoding a finished frame as the camera's `Imager.FIT` download
//! gives it (`encode`), reading the primary image of any FITS file (`decode`), and
//! reading back a frame from a file we wrote (`own`), side by side so that what one
//! writes the other reads back (the round trip below).

mod decode;
mod encode;
mod own;

pub use decode::{FitsImage, FitsLayout, Pixels, ReadError, ReadErrorKind, layout, read, read_reusing};
pub use encode::{FitsHeader, encode};
pub use own::frame_of;

/// Bytes in a FITS block: header and data are each padded to a whole number of them.
const BLOCK: usize = 2880;
/// Bytes in a header card.
const CARD: usize = 80;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::{Frame, FrameMeta, PixelPoint, PixelSize};
    use stx_protocol::{Binning, Ccd, FilterName, FitsChange, FitsKey, FitsSettings, FrameType, ObsDateTime};

    #[test]
    fn reads_back_what_we_write() {
        let meta = FrameMeta {
            ccd: Ccd::Imager,
            frame_type: FrameType::Light,
            duration: Duration::from_secs(30),
            date_obs: ObsDateTime::parse("2026-11-21T22.13.45.123").unwrap(),
            binning: Binning { x: 2, y: 2 },
            origin: PixelPoint { x: 10, y: 20 },
            pixel_size: PixelSize { x_um: 9.0, y_um: 9.0 },
            ccd_temp_c: -19.87,
            setpoint_c: Some(-20.0),
            electrons_per_adu: 1.27,
            filter: FilterName::new("Lum/Clear"),
            instrument: "SBIG STX-16803".to_owned(),
            fits: FitsSettings::default(),
        };
        let pixels: Vec<u16> = (0..12u16).map(|i| i * 5000).collect();
        let mut settings = FitsSettings::default();
        FitsChange::parse(FitsKey::ObjectName, "O'Brien f/7 field").unwrap().apply_to(&mut settings);
        let frame = Frame::new(4, 3, pixels.clone(), FrameMeta { fits: settings.clone(), ..meta }).unwrap();
        let image = read(&encode(&frame, &settings)).unwrap();
        assert_eq!((image.width, image.height), (4, 3));
        assert_eq!(image.pixels, Pixels::U16(pixels));
        assert_eq!(image.value("OBJECT"), Some("O'Brien f/7 field"));
        assert_eq!(image.value("FILTER"), Some("Lum/Clear"));
        assert_eq!(image.value("IMAGETYP"), Some("Light Frame"));
        assert_eq!(image.number("EXPTIME"), Some(30.0));
        assert_eq!(image.number("CCD-TEMP"), Some(-19.87));
        // Our own file gives back the frame, binned pixel sizes unbinned again.
        assert_eq!(frame_of(&image).expect("our own file"), frame);
    }
}

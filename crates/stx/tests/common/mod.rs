pub mod night;

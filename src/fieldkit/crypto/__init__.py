"""Keys and signatures shared by the device and headquarters."""

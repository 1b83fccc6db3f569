// backsight treadmill handrail clamp: a split ring around a side handrail at the console
// end, closed by one M4 bolt under the rail, with a pocket on top that holds the level
// VL53L1X looking along the rail, down the deck at the runner's back. yaw_deg turns the
// pocket about the vertical to aim at the middle of the belt from an off-centre rail
// (the config's yaw_deg). Printed standing on the pocket's back face.
//
// Coordinates: y along the rail (the beam looks +y, down the deck), z up, x across.
// Lengths in mm, angles in degrees. Render: python scripts/render_mounts.py.

// --- parameters -----------------------------------------------------------------------
rail_diameter = 32;        // handrail outer diameter (treadmills: 25-38 mm; measure it)
yaw_deg = 0;               // pocket turned toward the belt's middle (config: yaw_deg)
sensor_board = [25.4, 17.8];  // VL53L1X breakout w x h (Adafruit 3967; Pololu 3415: 12.7 x 17.8)
clamp_length = 24;         // along the rail
wall = 4;                  // ring wall
gap = 3;                   // the split under the rail the bolt closes
bolt_d = 4.4;              // M4 clearance
clearance = 0.4;
lip = 4.1;                 // pocket depth
$fn = 64;

// --- derived --------------------------------------------------------------------------
ring_r = rail_diameter / 2 + wall;
pocket_inner = [sensor_board[0] + 2 * clearance, sensor_board[1] + 2 * clearance];
pocket_outer = [pocket_inner[0] + 2 * wall, pocket_inner[1] + 2 * wall];
ear = [2 * wall + 2 * bolt_d, clamp_length, 2 * bolt_d + 2];

module ring() {
    difference() {
        union() {
            rotate([-90, 0, 0]) cylinder(r = ring_r, h = clamp_length);
            // the ears under the rail that the bolt pulls together
            translate([-ear[0] / 2, 0, -ring_r - ear[2] + wall]) cube(ear);
        }
        translate([0, -1, 0]) rotate([-90, 0, 0]) cylinder(r = rail_diameter / 2 + clearance / 2, h = clamp_length + 2);
        translate([-gap / 2, -1, -ring_r - ear[2]]) cube([gap, clamp_length + 2, ear[2] + wall]);
        translate([-ear[0], clamp_length / 2, -ring_r - ear[2] / 2 + wall]) rotate([0, 90, 0])
            cylinder(d = bolt_d, h = 2 * ear[0]);
    }
}

module pocket() {
    // a block on the ring's top; its front face (+y) holds the board in a rim, with two
    // zip-tie slots and a window behind the board for its wires
    depth = 10;
    difference() {
        translate([-pocket_outer[0] / 2, 0, 0]) cube([pocket_outer[0], depth, pocket_outer[1]]);
        translate([-pocket_inner[0] / 2, depth - lip, wall]) cube([pocket_inner[0], lip + 1, pocket_inner[1]]);
        translate([-6, -1, wall + pocket_inner[1] / 2 - 5]) cube([12, depth + 2, 10]);
        for (x = [-pocket_outer[0] / 2 - 1, pocket_inner[0] / 2 - 0.5])
            translate([x, depth - lip / 2 - 2, wall + pocket_inner[1] / 2 - 2]) cube([wall + 1.5, 4, 4]);
    }
}

module clamp() {
    ring();
    // the pocket stands on the ring, turned by yaw_deg about its centre
    translate([0, clamp_length / 2, ring_r - 1]) rotate([0, 0, -yaw_deg]) translate([0, -5, 0]) pocket();
}

clamp();

// backsight hip-belt bracket: holds the level obstacle sensor (VL53L1X) - or, for the
// bearing kit (rear_yaw_deg > 0, docs/bearing.md), two of them side by side, each turned
// rear_yaw_deg outward (the left one to the runner's left) - above the
// ground sensor (TF-Luna), which a wedge pitches down by ground_pitch_deg, so all look
// the way the runner moves (behind them). The back plate lies against the belt; the belt
// threads through the two slots. Printed flat on its back (the face marked BELT SIDE).
//
// Coordinates: x across the body (+x = the runner's left), y out of the runner's back (the direction of travel
// when running backwards, where both beams look), z up. Lengths in mm, angles in degrees.
// Render: python scripts/render_mounts.py (STL + PNG); every parameter can be overridden
// with openscad -D name=value.

// --- parameters -----------------------------------------------------------------------
ground_pitch_deg = 25;      // TF-Luna pitched down by this much (config: pitch_deg = -25)
rear_yaw_deg = 0;           // 0: one VL53L1X straight back (the default kit); > 0: two, each
                            // turned this far out (the bearing kit: yaw_deg = +4 / -4)
belt_width = 38;            // webbing width the slots take (38 mm = 1.5" race belt)
belt_thickness = 3;         // webbing thickness
obstacle_board = [25.4, 17.8];  // VL53L1X breakout w x h (Adafruit 3967; Pololu 3415: 12.7 x 17.8)
ground_board = [35, 21.25];     // TF-Luna body w x h (Benewake datasheet)
ground_board_depth = 13.5;      // TF-Luna body depth, the pocket lip holds its edges
clearance = 0.4;            // printing tolerance around each board
wall = 3;                   // plate and wall thickness
lip = 2.5;                  // how far a pocket's rim stands proud of the board face
$fn = 48;

// --- derived --------------------------------------------------------------------------
slot_w = belt_thickness + 1.5;
obstacle_cell_w = obstacle_board[0] + 2 * (clearance + wall);   // one VL53L1X pocket
obstacle_pair_w = 2 * obstacle_cell_w + wall;                    // two, a wall apart
rear_sides = rear_yaw_deg > 0 ? [1, -1] : [0];                  // pockets: left, right / one
plate_w = max(ground_board[0] + 2 * (wall + clearance),
              rear_yaw_deg > 0 ? obstacle_pair_w : obstacle_cell_w) + 2 * (slot_w + 2 * wall);
obstacle_zone_h = obstacle_board[1] + 2 * (wall + clearance);
ground_zone_h = ground_board[1] + 2 * (wall + clearance);
// the wedge stands this high, so its pocket's lower front edge stays above the plate's foot
wedge_z = max(wall, (2 * wall + lip + 2) * sin(ground_pitch_deg));
plate_h = max(belt_width + 2 * wall + 4, obstacle_zone_h + ground_zone_h + wedge_z);

// --- parts ----------------------------------------------------------------------------
module belt_slots() {
    // two vertical slots near the sides, through the plate's thickness, for the belt
    for (x = [wall, plate_w - wall - slot_w])
        translate([x, -1, (plate_h - belt_width - 2) / 2])
            cube([slot_w, wall + 2, belt_width + 2]);
}

module board_pocket(board, depth) {
    // a rim around a board: the board drops in from the front and is held by two zip
    // ties through the slots on either side; the back is open for its wires
    inner = [board[0] + 2 * clearance, board[1] + 2 * clearance];
    difference() {
        translate([-wall, 0, -wall]) cube([inner[0] + 2 * wall, depth, inner[1] + 2 * wall]);
        translate([0, -1, 0]) cube([inner[0], depth + 2, inner[1]]);
    }
}

module tie_slots(width, height, depth) {
    // zip-tie holes through the pocket walls, left and right of the board
    for (x = [-wall - 1, width + 1]) translate([x - 0.5, depth / 2 - 2, height / 2 - 2]) cube([1 + wall, 4, 4]);
}

// how far a pocket turned by rear_yaw_deg stands off the plate at its inner edge
obstacle_riser = obstacle_cell_w * sin(rear_yaw_deg) + 0.5;

module obstacle_cell(side) {
    // one VL53L1X pocket on a riser that turns it rear_yaw_deg about the vertical:
    // side = +1 the runner's left (+x, looking left), -1 the right, 0 the only one
    inner = [obstacle_board[0] + 2 * clearance, obstacle_board[1] + 2 * clearance];
    x_c = plate_w / 2 + side * (obstacle_cell_w + wall) / 2;
    z0 = plate_h - obstacle_zone_h + wall;
    translate([x_c, wall, z0]) {
        hull() {   // the riser: the pocket's back turned, down to the plate
            translate([-obstacle_cell_w / 2, 0, -wall]) cube([obstacle_cell_w, 0.01, inner[1] + 2 * wall]);
            translate([0, obstacle_riser, 0]) rotate([0, 0, -side * rear_yaw_deg])
                translate([-obstacle_cell_w / 2, 0, -wall]) cube([obstacle_cell_w, 0.01, inner[1] + 2 * wall]);
        }
        translate([0, obstacle_riser, 0]) rotate([0, 0, -side * rear_yaw_deg])
            translate([-inner[0] / 2, 0, 0])
                difference() {
                    board_pocket(obstacle_board, lip + 1.6);
                    tie_slots(inner[0], inner[1], lip + 1.6);
                }
    }
}

module obstacle_mount() {
    for (side = rear_sides) obstacle_cell(side);
}

module wedge(face_h) {
    // a solid whose front face is tilted down by ground_pitch_deg: hull of the face and
    // its footprint on the plate; pivots on its bottom edge, so its top leans out
    hull() {
        cube([plate_w - 2 * (slot_w + 2 * wall), 0.01, face_h]);
        rotate([-ground_pitch_deg, 0, 0]) cube([plate_w - 2 * (slot_w + 2 * wall), wall, face_h]);
    }
}

module ground_mount() {
    inner = [ground_board[0] + 2 * clearance, ground_board[1] + 2 * clearance];
    face_h = inner[1] + 2 * wall;
    x0 = slot_w + 2 * wall;
    translate([x0, wall, wedge_z]) {
        wedge(face_h);
        // the pocket on the tilted face
        rotate([-ground_pitch_deg, 0, 0])
            translate([(plate_w - 2 * x0 - inner[0]) / 2, wall, wall])
                difference() {
                    board_pocket(ground_board, lip + 2);
                    tie_slots(inner[0], inner[1], lip + 2);
                }
    }
}

module wire_windows() {
    // a hole behind each pocket for the board's pins and cables (the TF-Luna's plug is
    // on its back: its window runs through the wedge, square to the tilted face)
    for (side = rear_sides)
        translate([plate_w / 2 + side * (obstacle_cell_w + wall) / 2 - 6, -1,
                   plate_h - obstacle_zone_h / 2 - 5])
            cube([12, wall + obstacle_riser + 2, 10]);
    translate([slot_w + 2 * wall, wall, wedge_z]) rotate([-ground_pitch_deg, 0, 0])
        translate([(plate_w - 2 * (slot_w + 2 * wall)) / 2 - 8, -40, wall + 4])
            cube([16, 40 + wall + 1, ground_board[1] - 6]);
}

module bracket() {
    difference() {
        union() {
            cube([plate_w, wall, plate_h]);
            obstacle_mount();
            ground_mount();
        }
        belt_slots();
        wire_windows();
        // label on the belt side, so nobody mounts it upside down or back to front
        translate([plate_w / 2, 0.6, plate_h / 2]) rotate([90, 0, 0]) linear_extrude(1)
            mirror([1, 0, 0]) text("BELT SIDE  UP", size = 4, halign = "center", valign = "center");
    }
}

bracket();

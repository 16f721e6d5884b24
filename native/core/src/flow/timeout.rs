//! Flow timeouts per protocol class and state, with an emergency set (Suricata `flow-timeouts`).

/// Protocol classes with their own timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ProtoClass {
    Tcp = 0,
    Udp = 1,
    Icmp = 2,
    Other = 3,
}

impl ProtoClass {
    pub const COUNT: usize = 4;
    pub fn of(proto: u8) -> ProtoClass {
        match proto {
            6 => ProtoClass::Tcp,
            17 => ProtoClass::Udp,
            1 | 58 => ProtoClass::Icmp,
            _ => ProtoClass::Other,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            ProtoClass::Tcp => "tcp",
            ProtoClass::Udp => "udp",
            ProtoClass::Icmp => "icmp",
            ProtoClass::Other => "default",
        }
    }
}

/// Flow state as EVE prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum FlowState {
    New = 0,
    Established = 1,
    Closed = 2,
}

impl FlowState {
    pub const COUNT: usize = 3;
    pub fn as_str(self) -> &'static str {
        match self {
            FlowState::New => "new",
            FlowState::Established => "established",
            FlowState::Closed => "closed",
        }
    }
}

/// Seconds, indexed `[class][state]`, normal and emergency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub normal: [[u32; FlowState::COUNT]; ProtoClass::COUNT],
    pub emergency: [[u32; FlowState::COUNT]; ProtoClass::COUNT],
}

impl Default for Timeouts {
    /// Suricata's shipped defaults (suricata.yaml `flow-timeouts`).
    fn default() -> Self {
        Timeouts {
            //        new  est  closed
            normal: [
                [60, 600, 60], // tcp
                [30, 300, 0],  // udp
                [30, 300, 0],  // icmp
                [30, 300, 0],  // default
            ],
            emergency: [
                [5, 100, 10],
                [10, 100, 0],
                [10, 100, 0],
                [10, 100, 0],
            ],
        }
    }
}

impl Timeouts {
    #[inline]
    pub fn get(&self, class: ProtoClass, state: FlowState, emergency: bool) -> u32 {
        let t = if emergency { &self.emergency } else { &self.normal };
        t[class as usize][state as usize]
    }

    /// Set one value by its config name, e.g. ("tcp", "established", false, 600).
    pub fn set(&mut self, class: &str, state: &str, emergency: bool, secs: u32) -> Result<(), String> {
        let c = match class {
            "tcp" => 0,
            "udp" => 1,
            "icmp" => 2,
            "default" => 3,
            _ => return Err(format!("unknown protocol class '{}'", class)),
        };
        let s = match state {
            "new" => 0,
            "established" => 1,
            "closed" => 2,
            _ => return Err(format!("unknown flow state '{}'", state)),
        };
        let t = if emergency { &mut self.emergency } else { &mut self.normal };
        t[c][s] = secs;
        Ok(())
    }
}

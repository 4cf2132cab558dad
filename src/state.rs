//! Shared application state handed to every handler as `web::Data<AppState>`: the container of
//! what the features share (pool, settings, hub, bus, metrics, the background tasks). Committed
//! events leave through [`AppState::fanout`] (`bus::fanout`). What only one feature needs (the
//! token keys, the bcrypt gate) is its own `web::Data`, registered by `startup`, so this sits
//! below the features and imports none of them.

use std::sync::{Arc, Mutex};

use crate::{
    bus::{fanout::Fanout, Bus, LoadMessage},
    config::Settings,
    db::Pool,
    events::hub::Hub,
    metrics::Metrics,
};

pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub hub: Arc<Hub>,
    pub bus: Arc<Bus>,
    /// Where committed events go live: local streams, then the bus.
    pub fanout: Fanout,
    pub metrics: Arc<Metrics>,
    /// Background tasks (bus, heartbeat, sweep), aborted when the instance stops.
    pub tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl AppState {
    /// Starts the bus; `load_message` is how it loads a new message for this instance's readers.
    pub fn new(pool: Pool, settings: Arc<Settings>, load_message: LoadMessage) -> Self {
        let hub = Arc::new(Hub::default());
        let metrics = Arc::new(Metrics::new());
        let (bus, tasks) = crate::bus::start(
            &settings,
            hub.clone(),
            pool.clone(),
            metrics.clone(),
            load_message,
        );
        AppState {
            fanout: Fanout::new(hub.clone(), bus.clone()),
            pool,
            settings,
            hub,
            bus,
            metrics,
            tasks: Mutex::new(tasks),
        }
    }

    pub fn bus_ready(&self) -> bool {
        self.bus.is_connected()
    }

    /// Stops the background tasks (tests use it to simulate an instance dying).
    pub fn stop_background(&self) {
        for task in self.tasks.lock().expect("tasks lock").drain(..) {
            task.abort();
        }
    }
}

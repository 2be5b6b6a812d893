//! The whole-network flows (`deathstar_tests::flows`) on every in-process and HTTP deployment,
//! on the embedded store and on MongoDB + Redis. The multi-process deployments run them in
//! `adapters/openfaas/tests`.

use deathstar_tests::{Backend, Net, flows_on};

flows_on!(
    embedded_in_process,
    Net::in_process(Backend::Embedded).await
);
flows_on!(embedded_over_http, Net::over_http(Backend::Embedded).await);
flows_on!(
    mongo_redis_in_process,
    Net::in_process(Backend::MongoRedis).await
);
flows_on!(
    mongo_redis_over_http,
    Net::over_http(Backend::MongoRedis).await
);

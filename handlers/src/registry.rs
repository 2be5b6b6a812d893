//! The one list of functions, and the table from names to services built from it.
//!
//! [`for_each_function`] is the catalogue: adding a function means one line there. The
//! [`Registry`] (name → service), [`Registry::names`] and every check of the deploy descriptors
//! are derived from it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use tower::util::BoxCloneSyncService;

use crate::auth::AuthKey;
use crate::envelope::{Reply, WireReply};
use crate::function::{Env, Function, FunctionService};
use crate::functions::*;
use crate::invocation::{CallMeta, Invocation};
use crate::invoker::LocalInvoker;
use crate::store::Stores;
use futures::future::BoxFuture;

/// A function as the registry stores it.
pub type BoxedFunction = BoxCloneSyncService<Invocation, Reply, Infallible>;

/// A function's bytes-in, bytes-out entry ([`FunctionService::call_wire`]), for HTTP adapters.
pub type WireFunction = Arc<dyn Fn(&[u8], CallMeta) -> BoxFuture<'static, WireReply> + Send + Sync>;

/// Something that wants to see every function type.
pub trait FunctionVisitor {
    fn visit<F: Function>(&mut self);
}

/// The catalogue, grouped by the original microservice.
pub fn for_each_function(v: &mut impl FunctionVisitor) {
    // UserService
    v.visit::<RegisterUser>();
    v.visit::<RegisterUserWithId>();
    v.visit::<GetUserId>();
    v.visit::<Login>();
    v.visit::<UploadCreatorWithUserId>();
    v.visit::<UploadCreatorWithUsername>();
    // SocialGraphService
    v.visit::<InsertUser>();
    v.visit::<Follow>();
    v.visit::<Unfollow>();
    v.visit::<FollowWithUsername>();
    v.visit::<UnfollowWithUsername>();
    v.visit::<GetFollowers>();
    v.visit::<GetFollowees>();
    // Media
    v.visit::<UploadMediaFile>();
    v.visit::<GetMedia>();
    v.visit::<UploadMedia>();
    // Compose path
    v.visit::<ComposePostFrontend>();
    v.visit::<UploadUniqueId>();
    v.visit::<UploadText>();
    v.visit::<UploadUrls>();
    v.visit::<GetExtendedUrls>();
    v.visit::<UploadUserMentions>();
    v.visit::<ComposeAndUpload>();
    // PostStorageService
    v.visit::<StorePost>();
    v.visit::<ReadPosts>();
    // UserTimelineService
    v.visit::<WriteUserTimeline>();
    v.visit::<ReadUserTimeline>();
    v.visit::<UserTimelineReadFrontend>();
    // HomeTimelineService
    v.visit::<WriteHomeTimeline>();
    v.visit::<ReadHomeTimeline>();
    v.visit::<HomeTimelineReadFrontend>();
}

pub(crate) struct RegistryInner {
    pub(crate) services: HashMap<&'static str, BoxedFunction>,
    wire: HashMap<&'static str, WireFunction>,
}

/// Every function of the catalogue, by name, sharing one [`Env`].
#[derive(Clone)]
pub struct Registry {
    inner: Arc<RegistryInner>,
}

impl Registry {
    /// Every function in this process, calling each other in-process: the all-in-one setup.
    pub fn in_process(stores: Stores, auth: AuthKey) -> Registry {
        let local = LocalInvoker::new();
        let env = Arc::new(Env {
            stores,
            invoker: Arc::new(local.clone()),
            auth,
        });
        Registry::new(env, &local)
    }

    /// The functions `keep` accepts, calling each other in-process and everything else
    /// through `remote`: one function per process, or a fused group.
    pub fn fused(
        stores: Stores,
        auth: AuthKey,
        remote: Arc<dyn crate::Invoker>,
        keep: impl Fn(&str) -> bool,
    ) -> Registry {
        let local = LocalInvoker::new();
        let env = Arc::new(Env {
            stores,
            invoker: Arc::new(crate::FusedInvoker::new(local.clone(), remote)),
            auth,
        });
        Registry::with_filter(env, &local, keep)
    }

    /// The names of the functions this registry hosts.
    pub fn hosted(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.inner.services.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Builds every function on `env`. `local` is the invoker through which these functions
    /// reach each other in-process (it must be `env.invoker` or part of it).
    pub fn new(env: Arc<Env>, local: &LocalInvoker) -> Registry {
        Registry::with_filter(env, local, |_| true)
    }

    /// Builds only the functions whose name `keep` accepts (one function, or a fused group).
    pub fn with_filter(
        env: Arc<Env>,
        local: &LocalInvoker,
        keep: impl Fn(&str) -> bool,
    ) -> Registry {
        struct Build<'a, K> {
            env: &'a Arc<Env>,
            keep: K,
            services: HashMap<&'static str, BoxedFunction>,
            wire: HashMap<&'static str, WireFunction>,
        }
        impl<K: Fn(&str) -> bool> FunctionVisitor for Build<'_, K> {
            fn visit<F: Function>(&mut self) {
                if (self.keep)(F::NAME) {
                    let service = FunctionService::<F>::new(self.env.clone());
                    let wire = service.clone();
                    self.wire.insert(
                        F::NAME,
                        Arc::new(move |body: &[u8], meta| wire.call_wire(body, meta)),
                    );
                    self.services
                        .insert(F::NAME, BoxCloneSyncService::new(service));
                }
            }
        }
        let mut build = Build {
            env: &env,
            keep,
            services: HashMap::new(),
            wire: HashMap::new(),
        };
        for_each_function(&mut build);
        let inner = Arc::new(RegistryInner {
            services: build.services,
            wire: build.wire,
        });
        local.bind(Arc::downgrade(&inner));
        Registry { inner }
    }

    /// The names of every function of the catalogue, in catalogue order.
    pub fn names() -> Vec<&'static str> {
        struct Names(Vec<&'static str>);
        impl FunctionVisitor for Names {
            fn visit<F: Function>(&mut self) {
                self.0.push(F::NAME);
            }
        }
        let mut names = Names(Vec::new());
        for_each_function(&mut names);
        names.0
    }

    /// The names of the functions clients call directly ([`Function::PUBLIC`]).
    pub fn public_names() -> Vec<&'static str> {
        struct Public(Vec<&'static str>);
        impl FunctionVisitor for Public {
            fn visit<F: Function>(&mut self) {
                if F::PUBLIC {
                    self.0.push(F::NAME);
                }
            }
        }
        let mut names = Public(Vec::new());
        for_each_function(&mut names);
        names.0
    }

    /// An invoker that calls this registry's functions in-process (for a front end, such as the
    /// DeathStarBench routes, that calls functions the way they call each other).
    pub fn local_invoker(&self) -> LocalInvoker {
        let local = LocalInvoker::new();
        local.bind(Arc::downgrade(&self.inner));
        local
    }

    /// The service for `name`, if this registry hosts it.
    pub fn get(&self, name: &str) -> Option<BoxedFunction> {
        self.inner.services.get(name).cloned()
    }

    /// The bytes-in, bytes-out entry of `name`, if this registry hosts it.
    pub fn get_wire(&self, name: &str) -> Option<WireFunction> {
        self.inner.wire.get(name).cloned()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.inner.services.contains_key(name)
    }
}

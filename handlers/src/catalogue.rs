//! The one list of functions, and the registries built from it.
//!
//! [`for_each_function`] is the catalogue: adding a function means one line there. Registries
//! ([`Registry::in_process`], [`Registry::fused`]), [`Registry::names`] and every check of the
//! deploy descriptors are derived from it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::auth::AuthKey;
use crate::function::{Function, Hosted};
use crate::functions::*;
use crate::invoker::Invoker;
use crate::registry::{HostedFunction, Registry};
use crate::store::Stores;

/// The catalogue's one function that is not a JSON [`Function`]: `ds-net`, the social
/// network's web pages (crate `deathstar-web`), which answers in HTML and does its work by
/// calling the others. Deployed like each of them (its own OpenFaaS function, Lambda
/// bootstrap, and `/` of the local server); no registry hosts it.
pub const PAGES: &str = "ds-net";

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
    v.visit::<GetUsers>();
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

/// The functions of the catalogue that `keep` accepts, as the registry holds them.
fn hosted_functions(keep: impl Fn(&str) -> bool) -> HashMap<&'static str, Arc<dyn HostedFunction>> {
    struct Build<K> {
        keep: K,
        functions: HashMap<&'static str, Arc<dyn HostedFunction>>,
    }
    impl<K: Fn(&str) -> bool> FunctionVisitor for Build<K> {
        fn visit<F: Function>(&mut self) {
            if (self.keep)(F::NAME) {
                self.functions
                    .insert(F::NAME, Arc::new(Hosted(F::default())));
            }
        }
    }
    let mut build = Build {
        keep,
        functions: HashMap::new(),
    };
    for_each_function(&mut build);
    build.functions
}

impl Registry {
    /// Every function in this process, calling each other in-process: the all-in-one setup.
    pub fn in_process(stores: Stores, auth: AuthKey) -> Registry {
        Registry::from_functions(hosted_functions(|_| true), stores, auth, None)
    }

    /// The functions `keep` accepts, calling each other in-process and everything else
    /// through `remote`: one function per process, or a fused group.
    pub fn fused(
        stores: Stores,
        auth: AuthKey,
        remote: Arc<dyn Invoker>,
        keep: impl Fn(&str) -> bool,
    ) -> Registry {
        Registry::from_functions(hosted_functions(keep), stores, auth, Some(remote))
    }

    /// The functions `keep` accepts and nothing else: calls to any other fail as a callee
    /// that cannot be reached would (for tests of exactly that).
    pub fn only(stores: Stores, auth: AuthKey, keep: impl Fn(&str) -> bool) -> Registry {
        Registry::from_functions(hosted_functions(keep), stores, auth, None)
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

    /// Every function a deployment runs: [`Registry::names`], then [`PAGES`].
    pub fn deployed_names() -> Vec<&'static str> {
        let mut names = Registry::names();
        names.push(PAGES);
        names
    }

    /// The names of the functions clients call directly ([`Function::ACCESS`]).
    pub fn public_names() -> Vec<&'static str> {
        struct Public(Vec<&'static str>);
        impl FunctionVisitor for Public {
            fn visit<F: Function>(&mut self) {
                if F::ACCESS.is_public() {
                    self.0.push(F::NAME);
                }
            }
        }
        let mut names = Public(Vec::new());
        for_each_function(&mut names);
        names.0
    }
}

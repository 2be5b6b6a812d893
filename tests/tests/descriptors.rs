//! The deploy descriptors, `stack.yml` (OpenFaaS) and `template.yaml` (AWS SAM), are derived
//! from the function registry: every function once, none extra. This test regenerates both and
//! fails if a committed file differs; `DS_UPDATE_DESCRIPTORS=1 cargo test -p deathstar-tests
//! --test descriptors` rewrites them. Where the platform tools are installed
//! (`scripts/platform-tools.sh`), the SAM template also goes through `cfn-lint` and
//! `sam validate --lint`.

use std::path::PathBuf;
use std::process::Command;

use deathstar_handlers::Registry;
use deathstar_handlers::catalogue::PAGES;

/// Seconds a function may run: OpenFaaS's read/write/exec timeouts and Lambda's `Timeout`.
const TIMEOUT_SECS: u32 = 20;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stack_yml() -> String {
    let mut out = String::from(
        "# OpenFaaS deployment of every function: `faas-cli up -f stack.yml` (see the README).
# Generated from the function registry by tests/tests/descriptors.rs; to change it, change the
# generator and run `DS_UPDATE_DESCRIPTORS=1 cargo test -p deathstar-tests --test descriptors`.
# Every function is the same image (the Dockerfile at the root: of-watchdog in mode=http in
# front of deathstar-openfaas) hosting the one function DS_FUNCTIONS names. Settings shared by
# all are in deploy/openfaas-env.yml. Credentials are OpenFaaS secrets (deploy/secrets.md),
# never values in this file.
version: 1.0
provider:
  name: openfaas
  gateway: ${OPENFAAS_URL:-http://127.0.0.1:8080}
functions:
",
    );
    for name in Registry::deployed_names() {
        out.push_str(&format!(
            "  {name}:
    lang: dockerfile
    handler: .
    image: ${{REGISTRY:-ghcr.io/deathstarfaas}}/deathstar-openfaas:${{TAG:-latest}}
    environment:
      DS_FUNCTIONS: {name}
    environment_file:
      - deploy/openfaas-env.yml
    secrets:
      - mongo-uri
      - auth-secret
      - redis-password
"
        ));
    }
    out
}

/// `register-user` → `RegisterUser`.
fn resource(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn template_yaml() -> String {
    let mut out = format!(
        "# AWS SAM deployment of every function: `sam build && sam deploy --guided` (see the README).
# Generated from the function registry by tests/tests/descriptors.rs; to change it, change the
# generator and run `DS_UPDATE_DESCRIPTORS=1 cargo test -p deathstar-tests --test descriptors`.
# One bootstrap per function (adapters/lambda/src/bin), built by cargo-lambda. Functions call
# each other with the Lambda Invoke API by physical name, `<stack>-<function>`.
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: DeathStarBench social network as Lambda functions (DeathStarFaaS in Rust)

Parameters:
  MongoUriSecret:
    Type: String
    Default: deathstar/mongo-uri
    Description: Secrets Manager secret (name or ARN) holding the MongoDB connection string
  AuthSecretName:
    Type: String
    Default: deathstar/auth-secret
    Description: Secrets Manager secret (name or ARN) holding the key that signs login tokens and call proofs, shared by every function (32 random bytes or more)
  RedisServer:
    Type: String
    Default: ''
    Description: Redis host for the post and timeline caches; empty for none
  RedisPort:
    Type: String
    Default: '6379'
  RedisPasswordSecret:
    Type: String
    Default: ''
    Description: Secrets Manager secret (name or ARN) holding the Redis password; empty for none
  ApiRateLimit:
    Type: Number
    Default: 200
    Description: Requests per second the HTTP API lets through, steady state
  ApiBurstLimit:
    Type: Number
    Default: 400
    Description: Requests the HTTP API lets through in a burst

Conditions:
  HasRedisPassword: !Not [!Equals [!Ref RedisPasswordSecret, '']]

Globals:
  Function:
    Runtime: provided.al2023
    Handler: bootstrap
    Architectures:
      - x86_64
    CodeUri: .
    MemorySize: 256
    Timeout: {TIMEOUT_SECS}
    # Secrets are dynamic references, resolved by CloudFormation at deploy time: never
    # template parameters, so no stack event, parameter listing or template holds them.
    Environment:
      Variables:
        MONGO_URI: !Sub '{{{{resolve:secretsmanager:${{MongoUriSecret}}:SecretString}}}}'
        DS_AUTH_SECRET: !Sub '{{{{resolve:secretsmanager:${{AuthSecretName}}:SecretString}}}}'
        REDIS_SERVER: !Ref RedisServer
        REDIS_PORT: !Ref RedisPort
        REDIS_PASSWORD: !If
          - HasRedisPassword
          - !Sub '{{{{resolve:secretsmanager:${{RedisPasswordSecret}}:SecretString}}}}'
          - !Ref AWS::NoValue
        DS_AUTH: required
        DS_LAMBDA_PREFIX: !Sub '${{AWS::StackName}}-'
        DS_TIMEOUT_SECS: '{TIMEOUT_SECS}'
  HttpApi:
    DefaultRouteSettings:
      ThrottlingRateLimit: !Ref ApiRateLimit
      ThrottlingBurstLimit: !Ref ApiBurstLimit

Resources:
"
    );
    let public = Registry::public_names();
    for name in Registry::deployed_names() {
        out.push_str(&format!(
            "  {resource}:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: {name}
    Properties:
      FunctionName: !Sub '${{AWS::StackName}}-{name}'
      Policies:
        - Statement:
            - Effect: Allow
              Action: lambda:InvokeFunction
              Resource: !Sub 'arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:${{AWS::StackName}}-*'
",
            resource = resource(name)
        ));
        if name == PAGES {
            // The pages: at the HTTP API's /function/ds-net, and at a Function URL of their own.
            out.push_str(
                "      FunctionUrlConfig:
        AuthType: NONE
      Events:
        Start:
          Type: HttpApi
          Properties:
            Path: /function/ds-net
            Method: GET
        Pages:
          Type: HttpApi
          Properties:
            Path: /function/ds-net/{proxy+}
            Method: ANY
",
            );
        } else if public.contains(&name) {
            out.push_str(&format!(
                "      Events:
        Http:
          Type: HttpApi
          Properties:
            Path: /function/{name}
            Method: POST
"
            ));
        }
    }
    out.push_str(
        "
Outputs:
  ApiUrl:
    Description: Base URL of the client-facing functions (POST <ApiUrl>/function/<name>)
    Value: !Sub 'https://${ServerlessHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}'
  PagesUrl:
    Description: The web pages (ds-net) at their Function URL; also at <ApiUrl>/function/ds-net/
    Value: !GetAtt DsNetUrl.FunctionUrl
",
    );
    out
}

/// Compares `generated` with the committed file, or rewrites it when asked to.
fn check(file: &str, generated: String) {
    let path = workspace().join(file);
    if std::env::var("DS_UPDATE_DESCRIPTORS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{file} is not what the registry gives: run DS_UPDATE_DESCRIPTORS=1 cargo test -p deathstar-tests --test descriptors"
    );
}

#[test]
fn stack_yml_deploys_every_function_once() {
    check("stack.yml", stack_yml());
}

#[test]
fn template_yaml_deploys_every_function_once() {
    check("template.yaml", template_yaml());
}

#[test]
fn resource_names_are_pascal_case() {
    assert_eq!(resource("register-user"), "RegisterUser");
    assert_eq!(
        resource("user-service-upload-creator-with-user-id"),
        "UserServiceUploadCreatorWithUserId"
    );
}

/// The real linters of the platform, where installed.
#[test]
fn the_sam_template_passes_cfn_lint_and_sam_validate() {
    let Ok(bin) = std::env::var("DS_PLATFORM_BIN") else {
        deathstar_tests::skip_without(
            "cfn-lint/sam (DS_PLATFORM_BIN)",
            "scripts/platform-tools.sh installs them",
        );
        return;
    };
    let template = workspace().join("template.yaml");
    let lint = Command::new(format!("{bin}/cfn-lint"))
        .arg(&template)
        .output()
        .unwrap();
    assert!(
        lint.status.success(),
        "cfn-lint: {}",
        String::from_utf8_lossy(&lint.stdout)
    );
    let validate = Command::new(format!("{bin}/sam"))
        .args(["validate", "--lint", "--template-file"])
        .arg(&template)
        .env("SAM_CLI_TELEMETRY", "0")
        .output()
        .unwrap();
    assert!(
        validate.status.success(),
        "sam validate --lint: {}{}",
        String::from_utf8_lossy(&validate.stdout),
        String::from_utf8_lossy(&validate.stderr)
    );
}

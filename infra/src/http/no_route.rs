//! What a request that no route takes is answered: 404 problem+json with the stable code
//! `no_route`, like every other error, instead of actix's empty 404.

use super::Problem;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

/// `App::default_service(web::to(no_route))`.
pub async fn no_route(req: HttpRequest) -> HttpResponse {
    Problem::new(StatusCode::NOT_FOUND, "no_route", format!("no route answers {} {}", req.method(), req.path()))
        .response()
}

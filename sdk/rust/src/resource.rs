//! [`Resource`]: one REST collection, typed by the contract: create, get, update,
//! replace, delete, post to an item, and list as a stream over every page.

use crate::Result;
use crate::client::Client;
use futures_util::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// The types a [`Resource`] carries without holding values of them.
type Types<T, C, R> = PhantomData<fn() -> (T, C, R)>;

/// One REST collection: items `T`, created from `C`, creation answered with `R`.
#[derive(Debug)]
pub struct Resource<T, C, R = T> {
    client: Client,
    path: String,
    types: Types<T, C, R>,
}

/// `key` as one path segment.
pub(crate) fn escape(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The create body of a collection whose items are not created through it
/// (recordings are uploaded, registrations come from phones, messages from callers):
/// such a [`Resource`] has no `create`.
#[derive(Debug)]
pub enum NoCreate {}

impl<T, C, R: DeserializeOwned> Resource<T, C, R> {
    /// `POST` the collection.
    pub async fn create(&self, body: &C) -> Result<R>
    where
        C: Serialize,
    {
        self.client
            .request(reqwest::Method::POST, &self.path, Some(body), &[])
            .await
    }
}

impl<T: DeserializeOwned, C, R> Resource<T, C, R> {
    pub(crate) fn new(client: &Client, path: String) -> Self {
        Self {
            client: client.clone(),
            path,
            types: PhantomData,
        }
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The collection's path (`/v1/extensions`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// One item's path (`/v1/extensions/58101`), the key escaped.
    pub fn item(&self, key: &str) -> String {
        format!("{}/{}", self.path, escape(key))
    }

    /// `GET` one item.
    pub async fn get(&self, key: &str) -> Result<T> {
        self.client
            .request(reqwest::Method::GET, &self.item(key), None::<&()>, &[])
            .await
    }

    /// `PATCH` one item: absent fields are kept, `null` clears (the contract's
    /// `…Update` bodies, given as any serializable value).
    pub async fn update(&self, key: &str, body: &(impl Serialize + ?Sized)) -> Result<T> {
        self.client
            .request(reqwest::Method::PATCH, &self.item(key), Some(body), &[])
            .await
    }

    /// `POST` to one item (`calls().post(sid, &json!({"status": "completed"}))`).
    pub async fn post(&self, key: &str, body: &(impl Serialize + ?Sized)) -> Result<T> {
        self.client
            .request(reqwest::Method::POST, &self.item(key), Some(body), &[])
            .await
    }

    /// `DELETE` one item.
    pub async fn delete(&self, key: &str) -> Result<()> {
        self.client
            .request::<serde_json::Value>(
                reqwest::Method::DELETE,
                &self.item(key),
                None::<&()>,
                &[],
            )
            .await
            .map(drop)
    }

    /// Every item, page after page (100 a page).
    pub fn list(&self) -> impl Stream<Item = Result<T>> + '_ {
        self.list_where(100, Vec::new())
    }

    /// Every item, `page_size` a page.
    pub fn list_pages(&self, page_size: u32) -> impl Stream<Item = Result<T>> + '_ {
        self.list_where(page_size, Vec::new())
    }

    /// Every item matching the collection's filters
    /// (`calls().list_where(50, vec![("status", "completed".into())])`).
    pub fn list_where(
        &self,
        page_size: u32,
        filters: Vec<(&'static str, String)>,
    ) -> impl Stream<Item = Result<T>> + '_ {
        struct State<T> {
            cursor: Option<String>,
            items: std::vec::IntoIter<T>,
            done: bool,
        }
        let start = State {
            cursor: None,
            items: Vec::new().into_iter(),
            done: false,
        };
        futures_util::stream::try_unfold(start, move |mut state| {
            let filters = filters.clone();
            async move {
                loop {
                    if let Some(item) = state.items.next() {
                        return Ok(Some((item, state)));
                    }
                    if state.done {
                        return Ok(None);
                    }
                    let mut query = filters.clone();
                    query.push(("limit", page_size.to_string()));
                    if let Some(c) = &state.cursor {
                        query.push(("cursor", c.clone()));
                    }
                    let page: Page<T> = self
                        .client
                        .request(reqwest::Method::GET, &self.path, None::<&()>, &query)
                        .await?;
                    state.done = page.next_cursor.is_none();
                    state.cursor = page.next_cursor;
                    state.items = page.data.into_iter();
                }
            }
        })
    }
}

/// A page of any collection.
#[derive(serde::Deserialize)]
struct Page<T> {
    data: Vec<T>,
    next_cursor: Option<String>,
}

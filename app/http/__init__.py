"""What every face (REST, GraphQL, pages, OpenID) does with raw input before a service sees it."""
